/**
 * Peak resident memory of this process. On Linux, getrusage's ru_maxrss (process.resourceUsage()
 * .maxRSS) keeps the high-water mark of the process image before execve: a child forked by a
 * runner holding 400 MiB reports at least 400 MiB even if it never used that much. VmHWM in
 * /proc/self/status belongs to the current address space only, so it is what we report there.
 */
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  if (process.platform === 'linux') {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) return Number(m[1]) * 1024;
    } catch {
      // /proc not mounted: fall through
    }
  }
  return process.resourceUsage().maxRSS * 1024;
}

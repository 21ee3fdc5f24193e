/**
 * A progress bar on stderr with rate and ETA. Draws only on a TTY (or when VQBENCH_PROGRESS=1), so
 * piped output and `--json` stay clean; throttled to ~10 redraws a second.
 */
export type ProgressFn = (done: number, total: number, label?: string) => void;

export interface ProgressBar {
  update: ProgressFn;
  finish(): void;
}

export function progressBar(title: string, unit = 'it', stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const enabled = stream.isTTY === true || process.env.VQBENCH_PROGRESS === '1';
  const start = performance.now();
  let last = 0;
  let lastLine = '';
  const draw = (done: number, total: number, label?: string, force = false) => {
    if (!enabled) return;
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (now - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    lastLine =
      `${title} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${done}/${total} ${formatRate(rate)} ${unit}/s ETA ${formatSeconds(eta)}${label ? ' ' + label : ''}`;
    stream.write(`\r${lastLine}\x1b[K`);
  };
  return {
    update: (done, total, label) => draw(done, total, label, done >= total),
    finish: () => {
      if (enabled && lastLine) stream.write('\n');
    },
  };
}

function formatRate(r: number): string {
  if (r >= 1e6) return (r / 1e6).toFixed(1) + 'M';
  if (r >= 1e3) return (r / 1e3).toFixed(1) + 'k';
  return r.toFixed(r < 10 ? 2 : 0);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

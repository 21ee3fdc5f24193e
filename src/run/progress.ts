/**
 * The live progress line of a run: a bar of cells done, elapsed time and the ETA, from the cells'
 * estimates calibrated by the cells measured so far (their measured over their estimated seconds).
 * Drawn on stderr when it is a TTY or VQBENCH_PROGRESS=1; ordinary lines are printed between draws.
 */
import { formatDuration } from './estimate.js';

export function bar(frac: number, width = 20): string {
  const f = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `[${'#'.repeat(f)}${'.'.repeat(width - f)}]`;
}

export class RunProgress {
  private readonly enabled: boolean;
  private lastDraw = 0;
  private line = '';
  private readonly runStart = performance.now();
  private measured = 0;
  private estimatedOfMeasured = 0;
  private cell = { id: '', estimate: 0, remainingAfter: 0, start: 0 };

  constructor(private readonly stream: NodeJS.WriteStream, private readonly title: string, private readonly total: number) {
    this.enabled = stream.isTTY === true || process.env.VQBENCH_PROGRESS === '1';
  }

  /** A cell starts: its estimate, and the estimates of the cells still to run after it. */
  startCell(id: string, estimate: number, remainingAfter: number): void {
    this.cell = { id, estimate, remainingAfter, start: performance.now() };
  }

  /** A cell ended: its measured seconds calibrate the ETA of the rest. */
  endCell(wallSeconds: number): void {
    this.measured += wallSeconds;
    this.estimatedOfMeasured += this.cell.estimate;
  }

  /** Seconds left: the current cell's and the remaining cells' estimates, scaled by measured / estimated so far. */
  eta(): number {
    const calib = this.estimatedOfMeasured > 0 ? this.measured / this.estimatedOfMeasured : 1;
    const elapsedCell = (performance.now() - this.cell.start) / 1000;
    return Math.max(0, this.cell.estimate * calib - elapsedCell) + this.cell.remainingAfter * calib;
  }

  /** Draws the line (at most every 200 ms unless forced); `finished` = cells ran or skipped so far. */
  draw(finished: number, label = '', force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const elapsed = formatDuration((now - this.runStart) / 1000);
    this.line = `${this.title} ${bar(finished / this.total)} ${finished}/${this.total} cells  ${elapsed} elapsed  ETA ${formatDuration(this.eta())}  ${this.cell.id}${label ? ' · ' + label : ''}`;
    this.stream.write(`\r${this.line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  /** Clears the line so that a normal line can be printed. */
  clear(): void {
    if (this.enabled && this.line) this.stream.write('\r\x1b[K');
  }

  redraw(): void {
    if (this.enabled && this.line) this.stream.write(`\r${this.line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  finish(): void {
    this.clear();
    this.line = '';
  }
}

/**
 * BullMQ's lock and stall timings. The defaults (30 s lock, a stalled check every 30 s) suit real
 * runs; VQBENCH_QUEUE_LOCK_MS shortens both (tests kill a worker and wait for another to take its
 * cell). A job may stall twice (its worker killed twice) before it is failed.
 */
export function lockOptions(): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const v = Number(process.env.VQBENCH_QUEUE_LOCK_MS);
  const ms = Number.isFinite(v) && v >= 500 ? v : 30_000;
  return { lockDuration: ms, stalledInterval: ms, maxStalledCount: 2 };
}

/** Milliseconds between the coordinator's checks of its jobs (VQBENCH_QUEUE_POLL_MS, default 2000). */
export function pollInterval(): number {
  const v = Number(process.env.VQBENCH_QUEUE_POLL_MS);
  return Number.isFinite(v) && v >= 50 ? v : 2000;
}

/** Seconds the coordinator waits for a Redis that went away before it stops (VQBENCH_QUEUE_OUTAGE_S, default 300). */
export function outageLimit(): number {
  const v = Number(process.env.VQBENCH_QUEUE_OUTAGE_S);
  return Number.isFinite(v) && v > 0 ? v : 300;
}

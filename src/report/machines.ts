/**
 * Which machine each timing was taken on. A run spread over queue workers or a Slurm array holds
 * timings of several machines (each index record carries its fingerprint: src/run/fingerprint.ts);
 * QPS and build times are comparable only within one fingerprint, so the report shows each
 * machine's timings apart (a machine column, one "fastest" per machine) and never sets the timings
 * of two machines against each other. Quality metrics mix freely.
 */
import type { MachineFingerprint } from '../run/fingerprint.js';
import type { IndexRow } from './model.js';

/** The fingerprint id of a record's timing, or null when it has none (older results). */
export function machineId(row: IndexRow): string | null {
  const fp = (row.rec as { fingerprint?: Partial<MachineFingerprint> }).fingerprint;
  return typeof fp?.id === 'string' ? fp.id : null;
}

/** The distinct fingerprints of the rows, in order of appearance. */
export function machinesOf(rows: readonly IndexRow[]): Map<string, MachineFingerprint> {
  const out = new Map<string, MachineFingerprint>();
  for (const r of rows) {
    const id = machineId(r);
    if (id !== null && !out.has(id)) out.set(id, r.rec.fingerprint);
  }
  return out;
}

/** "machine 3f2a…: Intel Xeon …, 8 cores, OpenBLAS, Node v20.20.2, 8 threads". */
export function machineText(fp: MachineFingerprint): string {
  return `machine ${fp.id}: ${fp.cpu}, ${fp.cores} cores, ${fp.blas}, Node ${fp.node}, ${fp.threads} thread${fp.threads === 1 ? '' : 's'}`;
}

/** Rows grouped by machine (rows without a fingerprint under null). */
export function byMachine<T extends IndexRow>(rows: readonly T[]): Map<string | null, T[]> {
  const out = new Map<string | null, T[]>();
  for (const r of rows) {
    const id = machineId(r);
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
}

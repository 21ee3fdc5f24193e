/**
 * The pure-JS dense kernels (the dot product and the blocked inner-product tile): a leaf module, so
 * both the dispatcher (distance.ts) and the wasm wrappers' fallback (wasm/kernels.ts) call the one
 * implementation without an import cycle.
 */

/** a[ao..ao+d) · b[bo..bo+d) */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < d; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < d; k++) s0 += a[ao + k] * b[bo + k];
  return s0 + s1 + (s2 + s3);
}

/** The pure-JS kernel behind `innerProducts`: 4×4 register blocking, float64 accumulation. */
export function innerProductsJs(
  x: Float32Array, xo: number, nx: number,
  y: Float32Array, yo: number, ny: number,
  d: number, out: Float32Array, ldo = ny,
): void {
  let i = 0;
  for (; i + 3 < nx; i += 4) {
    const a0 = xo + i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    const o0 = i * ldo, o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
    let j = 0;
    for (; j + 3 < ny; j += 4) {
      const b0 = yo + j * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < d; k++) {
        const x0 = x[a0 + k], x1 = x[a1 + k], x2 = x[a2 + k], x3 = x[a3 + k];
        const y0 = y[b0 + k], y1 = y[b1 + k], y2 = y[b2 + k], y3 = y[b3 + k];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      out[o0 + j] = s00; out[o0 + j + 1] = s01; out[o0 + j + 2] = s02; out[o0 + j + 3] = s03;
      out[o1 + j] = s10; out[o1 + j + 1] = s11; out[o1 + j + 2] = s12; out[o1 + j + 3] = s13;
      out[o2 + j] = s20; out[o2 + j + 1] = s21; out[o2 + j + 2] = s22; out[o2 + j + 3] = s23;
      out[o3 + j] = s30; out[o3 + j + 1] = s31; out[o3 + j + 2] = s32; out[o3 + j + 3] = s33;
    }
    for (; j < ny; j++) {
      const b0 = yo + j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < d; k++) {
        const yv = y[b0 + k];
        s0 += x[a0 + k] * yv; s1 += x[a1 + k] * yv; s2 += x[a2 + k] * yv; s3 += x[a3 + k] * yv;
      }
      out[o0 + j] = s0; out[o1 + j] = s1; out[o2 + j] = s2; out[o3 + j] = s3;
    }
  }
  for (; i < nx; i++) {
    const a0 = xo + i * d;
    for (let j = 0; j < ny; j++) out[i * ldo + j] = dot(x, a0, y, yo + j * d, d);
  }
}

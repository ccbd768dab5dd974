import { genForward, genGradW, genGradX } from './gen.tmp';
const F = 16, rows = 200_000, B = 512;
const m = new Float32Array(rows * F);
let s = 1; for (let i = 0; i < m.length; i++) { s = (s * 16807) % 2147483647; m[i] = (s / 2147483647 - 0.5) * 2; }
const sizes = [16, 14, 7, 14, 16];
const L = sizes.length - 1;
const W = sizes.slice(1).map((u, i) => Float64Array.from({ length: sizes[i] * u }, () => (Math.random() - 0.5) * 0.6));
const b = sizes.slice(1).map((u) => new Float64Array(u));
const gW = W.map((w) => new Float64Array(w.length)), gb = b.map((x) => new Float64Array(x.length));
const mW = W.map((w) => new Float64Array(w.length)), vW = W.map((w) => new Float64Array(w.length));
const mb = b.map((w) => new Float64Array(w.length)), vb = b.map((w) => new Float64Array(w.length));
const fwd = sizes.slice(1).map((u, i) => genForward(sizes[i], u));
const gw = sizes.slice(1).map((u, i) => genGradW(sizes[i], u));
const gx = sizes.slice(1).map((u, i) => genGradX(sizes[i], u, i > 0));
const input = new Float64Array(B * F);
const z = sizes.slice(1).map((u) => new Float64Array(B * u));
const a = sizes.slice(1).map((u, l) => (l === L - 1 ? z[l] : new Float64Array(B * u)));
const d = sizes.slice(1).map((u) => new Float64Array(B * u));
let acc1 = 0.9, acc2 = 0.999;
function adam(w: Float64Array, g: Float64Array, mm: Float64Array, vv: Float64Array) {
  const c1 = 1 - acc1, c2 = 1 - acc2;
  for (let i = 0; i < w.length; i++) { const gi = g[i]; const mi = (mm[i] = 0.9 * mm[i] + 0.1 * gi); const vi = (vv[i] = 0.999 * vv[i] + 0.001 * gi * gi); w[i] -= (1e-3 * (mi / c1)) / (Math.sqrt(vi / c2) + 1e-7); }
}
function step(st: number, n: number) {
  for (let i = 0, o = st * F; i < n * F; i++) input[i] = m[o + i];
  let x = input;
  for (let l = 0; l < L; l++) { fwd[l](x, W[l], b[l], z[l], n); if (l < L - 1) { const zz = z[l], aa = a[l]; for (let i = 0; i < n * sizes[l + 1]; i++) aa[i] = zz[i] > 0 ? zz[i] : 0; } x = a[l]; }
  const out = a[L - 1], dO = d[L - 1]; let sum = 0; const sc = 2 / (n * F);
  for (let i = 0; i < n * F; i++) { const df = out[i] - input[i]; sum += df * df; dO[i] = sc * df; }
  for (let l = L - 1; l >= 0; l--) {
    const dz = d[l];
    if (l < L - 1) { const zz = z[l]; for (let i = 0; i < n * sizes[l + 1]; i++) if (!(zz[i] > 0)) dz[i] = 0; }
    const xin = l === 0 ? input : a[l - 1];
    gw[l](xin, dz, gW[l], gb[l], n);
    if (l > 0) gx[l](xin, dz, W[l], d[l - 1], n);
  }
  for (let l = 0; l < L; l++) { adam(W[l], gW[l], mW[l], vW[l]); adam(b[l], gb[l], mb[l], vb[l]); }
  acc1 *= 0.9; acc2 *= 0.999;
  return sum / (n * F);
}
for (let ep = 0; ep < 3; ep++) {
  const t0 = performance.now(); let loss = 0;
  for (let st = 0; st < rows; st += B) loss = step(st, Math.min(B, rows - st));
  console.log('rows/s', Math.round(rows / (performance.now() - t0) * 1000), 'loss', loss);
}

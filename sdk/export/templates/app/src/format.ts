/**
 * JSON text of the float32 per-feature errors in results. Nine significant digits identify
 * every float32 exactly (`Math.fround(Number(text)) === x`); String() prints the float32's
 * double widening with up to 17 digits and is several times slower. Scores keep String():
 * readers compare them as doubles with the notebook's (within 1e-5 absolute), which nine digits
 * of a large score would not meet. Values outside [1e-6, 1e9) take String(); NaN and
 * infinities become null, because JSON has no words for them.
 */
const POW = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000', '000000000'];

export function float32Json(x: number): string {
  if (!(x >= 1e-6 && x < 1e9)) return Number.isFinite(x) ? String(x) : 'null';
  // Decimal exponent: 10^e <= x < 10^(e+1), e in -6..8.
  let e = 8;
  while (e >= 0 ? x < POW[e] : x * POW[-e] < 1) e--;
  // Nine digits as an integer. The product may be off by one in the last digit, which still
  // round-trips: 1e-8 relative is under half a float32 step (2^-24 relative at the least).
  let m = Math.round(x * POW[8 - e]);
  if (m < 1e8) {
    // x * 10^-e rounded up to 1 just below a power of ten: one digit was not there.
    e--;
    m = Math.round(x * POW[8 - e]);
  }
  if (m >= 1e9) {
    m = Math.round(m / 10);
    e++;
  }
  while (m % 10 === 0) m /= 10;
  const s = String(m);
  if (e < 0) return `0.${ZEROS[-e - 1]}${s}`;
  if (e + 1 >= s.length) return s + ZEROS[e + 1 - s.length];
  return `${s.slice(0, e + 1)}.${s.slice(e + 1)}`;
}

const DECIMALS = 1e7;
const FRACTION_ZEROS = ['', '0', '00', '000', '0000', '00000', '000000'];

/**
 * JSON text of a score (a float32) whose value readers compare with the notebook's as doubles,
 * within 1e-5 absolute: below 1,000 the nine-digit form (absolute error at most 5e-7: half its last digit); from
 * 1,000 to 9e8 seven decimals (at most 5e-8); anything else String(). Every form also
 * identifies the float32 (`Math.fround(Number(text)) === x`). String() of a float32 widened to
 * a double prints up to 17 digits and cost ~1.5 µs a record, a tenth of the app's whole budget.
 */
export function scoreJson(x: number): string {
  if (x >= 0 && x < 1000) return x === 0 ? '0' : float32Json(x);
  if (!(x >= 1000 && x < 9e8)) return Number.isFinite(x) ? String(x) : 'null';
  const m = Math.round(x * DECIMALS); // < 9e15 < 2^53: exact integer arithmetic from here on
  const whole = Math.floor(m / DECIMALS);
  let fraction = m - whole * DECIMALS;
  if (fraction === 0) return String(whole);
  let digits = 7;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  const f = String(fraction);
  return `${whole}.${FRACTION_ZEROS[digits - f.length]}${f}`;
}

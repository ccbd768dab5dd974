/**
 * The last step of reading a JSON number from bytes, shared by kafkalab's columnar JSON reader
 * and, copied verbatim at export time, by exported apps' flat-JSON reader (so it imports
 * nothing). Clinger's fast path: a decimal mantissa below 2^53 with at most 15 digits and a
 * power of ten up to 22 are both exact doubles, so one IEEE multiply or divide is correctly
 * rounded, which is the double JSON.parse returns; anything else goes through Number() on the
 * number's text, also correctly rounded.
 */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_EXACT = 2 ** 53;

/**
 * The double of a number already scanned from `b[start, end)`: `mantissa` of `digits` decimal
 * digits (sign excluded), times 10^`e10`; `slow` when the exponent was too large to scan exactly.
 */
export function jsonNumber(b: Buffer, start: number, end: number, mantissa: number, digits: number, e10: number, negative: boolean, slow: boolean): number {
  if (!slow && digits <= 15 && mantissa < MAX_EXACT && e10 >= -22 && e10 <= 22) {
    const v = e10 >= 0 ? mantissa * POW10[e10] : mantissa / POW10[-e10];
    return negative ? -v : v;
  }
  return Number(b.toString('latin1', start, end));
}

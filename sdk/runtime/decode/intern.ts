/**
 * Short strings decoded from bytes, interned: record keys and categorical fields (car ids,
 * sensor names) repeat across a topic, and a million copies of the same ten bytes cost a
 * million strings to allocate and collect. A fixed table hashed on the bytes returns the string
 * made last time for equal bytes; a miss costs one comparison more than plain decoding and
 * nothing is allocated besides the string itself.
 */
const SLOTS = 4096;
/** Longer strings are rarely categorical: decoded as they are. */
const MAX_BYTES = 48;

export class StringCache {
  private readonly bytes = new Uint8Array(SLOTS * MAX_BYTES);
  private readonly lengths = new Int32Array(SLOTS).fill(-1);
  private readonly strings: string[] = new Array<string>(SLOTS).fill('');

  /** The UTF-8 text of b[start, end). */
  get(b: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len > MAX_BYTES) return b.toString('utf8', start, end);
    let h = 0x811c9dc5;
    let high = 0;
    for (let i = start; i < end; i++) {
      const x = b[i];
      high |= x;
      h = Math.imul(h ^ x, 0x01000193);
    }
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const base = slot * MAX_BYTES;
    const bytes = this.bytes;
    if (this.lengths[slot] === len) {
      let j = 0;
      while (j < len && bytes[base + j] === b[start + j]) j++;
      if (j === len) return this.strings[slot];
    }
    const s = b.toString(high < 0x80 ? 'latin1' : 'utf8', start, end);
    for (let j = 0; j < len; j++) bytes[base + j] = b[start + j];
    this.lengths[slot] = len;
    this.strings[slot] = s;
    return s;
  }
}

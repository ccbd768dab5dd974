/**
 * Reads Kafka protocol primitives from a Buffer, without copying: bytes fields are views
 * (subarray) into the frame. Any read past the end, or a length that cannot fit in what is
 * left, throws ProtocolError, so a malformed frame never allocates more than its own size.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const TWO_32 = 4294967296;

export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) throw new ProtocolError(`truncated: need ${n} bytes at ${at - 0}, have ${this.end - at}`);
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  uint8(): number {
    return this.buf[this.need(1)];
  }
  boolean(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  /** int64 as a JS number: exact up to 2^53, which covers offsets, timestamps and producer ids. */
  int64(): number {
    const at = this.need(8);
    return this.buf.readInt32BE(at) * TWO_32 + this.buf.readUInt32BE(at + 4);
  }
  int64n(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  uuid(): Buffer {
    const at = this.need(16);
    return this.buf.subarray(at, at + 16);
  }

  /** Unsigned LEB128 varint, up to 35 bits (Kafka's unsigned varint is an int32). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new ProtocolError('varint too long');
    }
  }
  /** Zigzag varint (int32). */
  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  /** Zigzag varlong (int64) as a number; exact up to 2^53. */
  varlong(): number {
    let z = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varlong');
      if (i >= 10) throw new ProtocolError('varlong too long');
      const b = this.buf[this.pos++];
      z += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  private utf8(len: number): string {
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }
  private slice(len: number): Buffer {
    const at = this.need(len);
    return this.buf.subarray(at, at + len);
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolError('null in a non-nullable string');
    return this.utf8(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    return len < 0 ? null : this.utf8(len);
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('null in a non-nullable compact string');
    return this.utf8(len);
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.utf8(len);
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolError('null in non-nullable bytes');
    return this.slice(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    return len < 0 ? null : this.slice(len);
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('null in non-nullable compact bytes');
    return this.slice(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.slice(len);
  }
  /** Varint-length bytes as used inside records (-1 = null). */
  varintBytes(): Buffer | null {
    const len = this.varint();
    return len < 0 ? null : this.slice(len);
  }

  private count(n: number): number {
    // Every array element takes at least one byte, so a longer count is a lie.
    if (n > this.remaining) throw new ProtocolError(`array length ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }
  array<T>(item: (r: Reader) => T): T[] {
    const n = this.int32();
    if (n < 0) throw new ProtocolError('null in a non-nullable array');
    return this.items(this.count(n), item);
  }
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    return n < 0 ? null : this.items(this.count(n), item);
  }
  compactArray<T>(item: (r: Reader) => T): T[] {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError('null in a non-nullable compact array');
    return this.items(this.count(n), item);
  }
  compactNullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.items(this.count(n), item);
  }
  private items<T>(n: number, item: (r: Reader) => T): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /** Tagged fields of a flexible version; unknown tags are kept raw so callers may ignore them. */
  taggedFields(): Map<number, Buffer> | undefined {
    const n = this.uvarint();
    if (n === 0) return undefined;
    this.count(n);
    const out = new Map<number, Buffer>();
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint();
      out.set(tag, this.slice(this.uvarint()));
    }
    return out;
  }
}

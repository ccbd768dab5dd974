/**
 * Builds Kafka protocol messages. Large byte fields (record sets in Fetch responses) are kept
 * by reference as separate chunks instead of being copied, so a response goes to the socket as
 * a list of buffers: `chunks()` (for writev/cork) or `toBuffer()` (one copy, for tests).
 */
const TWO_32 = 4294967296;
/** Byte fields at least this big are referenced, not copied. */
const REFERENCE_THRESHOLD = 4096;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.doneBytes + this.pos - this.start;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, pending + n, 256));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }
  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  boolean(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v | 0, this.pos);
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
    return this;
  }
  int64(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
    return this;
  }
  int64n(v: bigint): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }
  uuid(v: Buffer | null | undefined): this {
    this.ensure(16);
    if (v && v.length === 16) v.copy(this.buf, this.pos);
    else this.buf.fill(0, this.pos, this.pos + 16);
    this.pos += 16;
    return this;
  }

  uvarint(v: number): this {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Raw bytes; big buffers are referenced rather than copied (do not mutate them afterwards). */
  raw(b: Buffer): this {
    if (b.length >= REFERENCE_THRESHOLD) {
      this.cut();
      this.done.push(b);
      this.doneBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  private cut(): void {
    if (this.pos > this.start) {
      this.done.push(this.buf.subarray(this.start, this.pos));
      this.doneBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }
  private utf8(s: string, lengthPrefix: (n: number) => void): this {
    const n = Buffer.byteLength(s);
    lengthPrefix(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
    return this;
  }

  string(s: string): this {
    return this.utf8(s, (n) => this.int16(n));
  }
  nullableString(s: string | null | undefined): this {
    return s == null ? this.int16(-1) : this.string(s);
  }
  compactString(s: string): this {
    return this.utf8(s, (n) => this.uvarint(n + 1));
  }
  compactNullableString(s: string | null | undefined): this {
    return s == null ? this.uvarint(0) : this.compactString(s);
  }
  bytes(b: Buffer): this {
    return this.int32(b.length).raw(b);
  }
  nullableBytes(b: Buffer | null | undefined): this {
    return b == null ? this.int32(-1) : this.bytes(b);
  }
  compactBytes(b: Buffer): this {
    return this.uvarint(b.length + 1).raw(b);
  }
  compactNullableBytes(b: Buffer | null | undefined): this {
    return b == null ? this.uvarint(0) : this.compactBytes(b);
  }
  varintBytes(b: Buffer | null | undefined): this {
    return b == null ? this.varint(-1) : this.varint(b.length).raw(b);
  }

  array<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }
  nullableArray<T>(items: readonly T[] | null | undefined, item: (w: Writer, v: T) => void): this {
    return items == null ? this.int32(-1) : this.array(items, item);
  }
  compactArray<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.uvarint(items.length + 1);
    for (const v of items) item(this, v);
    return this;
  }
  compactNullableArray<T>(items: readonly T[] | null | undefined, item: (w: Writer, v: T) => void): this {
    return items == null ? this.uvarint(0) : this.compactArray(items, item);
  }
  /** Tagged fields; the broker writes none unless given. */
  taggedFields(fields?: Map<number, Buffer>): this {
    if (!fields || fields.size === 0) return this.uvarint(0);
    this.uvarint(fields.size);
    for (const tag of [...fields.keys()].sort((a, b) => a - b)) {
      const v = fields.get(tag)!;
      this.uvarint(tag).uvarint(v.length).raw(v);
    }
    return this;
  }

  /** The message as buffers in order, without copying referenced chunks. */
  chunks(): Buffer[] {
    this.cut();
    return this.done.slice();
  }
  toBuffer(): Buffer {
    const parts = this.chunks();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, this.doneBytes);
  }
}

/**
 * Where a result's JSON goes: straight into its partition's record batch (the fast path's
 * RecordBatchWriter, which has these three methods) or into a string (the kafkajs producer and
 * Avro output paths). app.ts writes each result once, through this interface, so both paths
 * publish the same bytes.
 */
export interface JsonOut {
  /** Bytes of UTF-8 JSON text: a Piece (constant) or a record key already checked by keyJson. */
  bytes(b: Uint8Array): void;
  /** Text made of ASCII characters only (numbers, true/false). */
  ascii(s: string): void;
  /** Any JSON text. */
  text(s: string): void;
}

/** A constant JSON fragment as UTF-8 bytes, carrying its text for TextOut. */
export type Piece = Buffer & { readonly text: string };

export function piece(text: string): Piece {
  return Object.assign(Buffer.from(text, 'utf8'), { text });
}

/** Fragments every result has. */
export const P = {
  key: piece('{"key":'),
  null: piece('null'),
  quote: piece('"'),
  timestamp: piece(',"timestamp":'),
  score: piece('},"score":'),
  true: piece('true'),
  false: piece('false'),
  top: piece(',"top":['),
  comma: piece(','),
  close: piece('}'),
  endTop: piece(']'),
  fields: piece(',"fields":{'),
};

/** A result as a string. */
export class TextOut implements JsonOut {
  s = '';

  reset(): this {
    this.s = '';
    return this;
  }

  bytes(b: Uint8Array): void {
    this.s += (b as Partial<Piece>).text ?? Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  }

  ascii(s: string): void {
    this.s += s;
  }

  text(s: string): void {
    this.s += s;
  }
}

/**
 * The record key as a JSON string: printable ASCII without quotes or backslashes goes as it is
 * (car ids, device names); anything else through JSON.stringify of its UTF-8 text.
 */
export function keyJson(out: JsonOut, key: Buffer | null): void {
  if (key === null) return out.bytes(P.null);
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return out.text(JSON.stringify(key.toString('utf8')));
  }
  out.bytes(P.quote);
  out.bytes(key);
  out.bytes(P.quote);
}

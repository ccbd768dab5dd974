import * as assert from 'uvu/assert';
import { Reader } from '../../sdk/protocol/reader';
import { Writer } from '../../sdk/protocol/writer';

export type Enc<T> = (w: Writer, v: T, version: number) => void;
export type Dec<T> = (r: Reader, version: number) => T;

/**
 * Every version from min to max: encode -> decode consumes every byte and re-encodes to the
 * same bytes; `check` then says what the decoded value must be at that version.
 */
export function roundTripVersions<T>(name: string, enc: Enc<T>, dec: Dec<T>, value: T, min: number, max: number, check: (back: T, version: number) => void): void {
  for (let v = min; v <= max; v++) {
    const w = new Writer();
    enc(w, value, v);
    const bytes = w.toBuffer();
    const r = new Reader(bytes);
    const back = dec(r, v);
    assert.is(r.remaining, 0, `${name} v${v} left ${r.remaining} bytes`);
    const w2 = new Writer();
    enc(w2, back, v);
    assert.ok(w2.toBuffer().equals(bytes), `${name} v${v} re-encodes differently`);
    check(back, v);
  }
}

// A minimal raw Kafka client for broker tests: sends hand-built frames, reads responses in order.
import * as net from 'net';
import { Reader } from '../../sdk/protocol/reader';
import { Writer } from '../../sdk/protocol/writer';
import { encodeRequestHeader } from '../../sdk/protocol/header';
import type { In, Message, Out } from '../../sdk/protocol/schema';

export interface RawClient {
  /** Sends one request; resolves with a Reader positioned after the response header. */
  request(apiKey: number, version: number, body: (w: Writer) => void, opts?: { flexibleHeader?: boolean; flexibleResponse?: boolean }): Promise<Reader>;
  /** Sends one request and expects no response (acks=0). */
  send(apiKey: number, version: number, body: (w: Writer) => void): void;
  sendBytes(b: Buffer): void;
  /** Writes bytes and resolves with the next size-prefixed frame as is (raw SASL tokens). */
  rawExchange(b: Buffer): Promise<Buffer>;
  /** One described request at `version`, with the header versions the descriptions imply; the decoded response. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<Q extends Message<any>, S extends Message<any>>(request: Q, response: S, version: number, value: In<Q>): Promise<Out<S>>;
  /** Resolves when the broker closes the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

export function rawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let buf = Buffer.alloc(0);
    let correlation = 1;
    const waiting: Array<{ id: number; flexibleResponse: boolean; raw?: (frame: Buffer) => void; resolve: (r: Reader) => void; reject: (e: Error) => void }> = [];
    let isClosed = false;
    const closed = new Promise<void>((res) => socket.on('close', () => {
      isClosed = true;
      for (const w of waiting.splice(0)) w.reject(new Error('connection closed by broker'));
      res();
    }));
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const w = waiting.shift();
        if (!w) throw new Error('unexpected response');
        if (w.raw) {
          w.raw(frame);
          continue;
        }
        const r = new Reader(frame);
        const id = r.int32();
        if (id !== w.id) w.reject(new Error(`correlation id ${id}, expected ${w.id}`));
        if (w.flexibleResponse) r.taggedFields();
        w.resolve(r);
      }
    });
    const frame = (apiKey: number, version: number, body: (w: Writer) => void, flexibleHeader: boolean, id: number) => {
      const w = new Writer().int32(0);
      encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: id, clientId: 'raw-test' }, flexibleHeader ? 2 : 1);
      body(w);
      const b = w.toBuffer();
      b.writeInt32BE(b.length - 4, 0);
      return b;
    };
    socket.once('connect', () =>
      resolve({
        request(apiKey, version, body, opts = {}) {
          const id = correlation++;
          return new Promise((res, rej) => {
            waiting.push({ id, flexibleResponse: opts.flexibleResponse ?? false, resolve: res, reject: rej });
            socket.write(frame(apiKey, version, body, opts.flexibleHeader ?? false, id));
          });
        },
        send(apiKey, version, body) {
          socket.write(frame(apiKey, version, body, false, correlation++));
        },
        sendBytes: (b) => void socket.write(b),
        rawExchange: (b) =>
          new Promise<Buffer>((res, rej) => {
            waiting.push({ id: -1, flexibleResponse: false, raw: res, resolve: () => {}, reject: rej });
            socket.write(b);
          }),
        async call(request, response, version, value) {
          const id = correlation++;
          const flexibleResponse = response.isFlexible(version) && response.apiKey !== 18;
          const r = await new Promise<Reader>((res, rej) => {
            waiting.push({ id, flexibleResponse, resolve: res, reject: rej });
            socket.write(frame(request.apiKey, version, (w) => request.encode(w, value as never, version), request.isFlexible(version), id));
          });
          const out = response.decode(r, version);
          if (r.remaining !== 0) throw new Error(`${response.name} v${version}: ${r.remaining} bytes left over`);
          return out as never;
        },
        closed,
        isClosed: () => isClosed,
        close: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

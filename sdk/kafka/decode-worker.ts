/**
 * A decode thread (decode-pool.ts): record sets in, decoded by the same code as the calling
 * thread's (read-part.ts decodeFetch), column sets out when a session finishes.
 */
import { parentPort } from 'worker_threads';
import { Collector, decodeFetch, type PartJob } from './read-part';
import { packColumns, type PackedPart, type Reply, type Request } from './decode-pool';
import { SchemaCache } from '../runtime/decode/schema/schemas';
import { SchemaRegistryClient } from '../registry/client';

const sessions = new Map<number, { job: PartJob; out: Collector }>();

async function handle(m: Request): Promise<Reply | undefined> {
  switch (m.type) {
    case 'start': {
      const schemas = new SchemaCache(m.job.registry ? new SchemaRegistryClient(m.job.registry) : undefined);
      const job: PartJob = { ...m.job, schemas };
      sessions.set(m.id, { job, out: new Collector(job) });
      return { seq: m.seq, ok: true };
    }
    case 'chunk': {
      const s = sessions.get(m.id);
      if (!s) throw new Error(`no decode session ${m.id}`);
      const records = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
      await decodeFetch(s.out, s.job, m.partition, records, m.from, m.end, m.aborted, () => false);
      // The copy goes back for the next record set.
      parentPort!.postMessage({ seq: m.seq, ok: true, bytes: m.bytes } satisfies Reply, [m.bytes.buffer as ArrayBuffer]);
      return undefined;
    }
    case 'finish': {
      const s = sessions.get(m.id);
      if (!s) throw new Error(`no decode session ${m.id}`);
      sessions.delete(m.id);
      const { sets, stats } = s.out.output();
      const transfer: ArrayBuffer[] = [];
      const part: PackedPart = { stats, sets: sets.map(({ partition, set }) => ({ partition, rows: set.rows, warnings: set.warnings, columns: packColumns(set, transfer) })) };
      parentPort!.postMessage({ seq: m.seq, ok: true, part } satisfies Reply, transfer);
      return undefined;
    }
    case 'drop':
      sessions.delete(m.id);
      return { seq: m.seq, ok: true };
  }
}

parentPort!.on('message', (m: Request) => {
  handle(m).then(
    (r) => r && parentPort!.postMessage(r),
    (e: Error & { code?: string; retriable?: boolean; magic?: number }) =>
      parentPort!.postMessage({ seq: m.seq, ok: false, error: e?.message ?? String(e), code: e?.code, retriable: e?.retriable, magic: e?.magic } satisfies Reply),
  );
});

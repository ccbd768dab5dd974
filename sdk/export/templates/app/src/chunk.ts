/**
 * A chunk of consumed messages to model input, with kafkalab's runtime doing all the work the
 * notebook does (decoding, flattening, type rules, rejected rows, window state, scaling): the
 * app only keeps track of which message each prepared row came from.
 */
import { ColumnSet, RecordDecoder, rowColumns, SchemaCache, type FeatureState, type Scorer, type SchemaSource } from '@kafkalab/runtime';
import type { KafkaMessage } from 'kafkajs';

export interface Chunk {
  /** Scaled feature rows of the messages that can be scored, row-major. */
  matrix: Float32Array;
  /** What the model reads: `matrix`, or for a sequence model each row's window of rows. */
  input: Float32Array;
  rows: number;
  /** The message of each prepared row. */
  source: KafkaMessage[];
  /** Per prepared row, the JSON members of the passthrough fields (`"vin":"X","seq":3`), when configured. */
  fields: string[];
  /** Messages that cannot be scored and why: decoding (the reason a notebook read reports) or the model's rows rule. */
  dead: { message: KafkaMessage; reason: string }[];
}

/**
 * Schemas of Confluent-framed input (Avro, Protobuf, JSON Schema), shared by every model
 * version's decoder; without a registry, framed records are dead letters saying so.
 */
let schemas = new SchemaCache();

export function useSchemaRegistry(source: SchemaSource | undefined): void {
  schemas = new SchemaCache(source);
}

/** Fetches the schemas of framed records among `messages` before they are decoded; undefined when none is new. */
export function loadSchemas(messages: readonly KafkaMessage[]): Promise<void> | undefined {
  return schemas.prepare(messages);
}

export class ChunkDecoder {
  private readonly set = new ColumnSet();
  private readonly decoder: RecordDecoder;
  private readonly names: string[];

  constructor(
    private readonly scorer: Scorer,
    private readonly passthrough: readonly string[],
  ) {
    const spec = scorer.spec;
    this.names = [...spec.inputs.map((i) => i.name), ...(spec.key === undefined ? [] : [spec.key])];
    this.decoder = new RecordDecoder(this.set, { columns: [...this.names, ...passthrough], schemas });
  }

  /**
   * Decodes and prepares `messages` of one partition, in offset order, advancing `state`.
   * Synchronous: the shared column set is free again when it returns.
   */
  decode(messages: KafkaMessage[], partition: number, state: FeatureState): Chunk {
    const set = this.set;
    set.clear();
    const dead: Chunk['dead'] = [];
    const byRow: KafkaMessage[] = [];
    for (const m of messages) {
      const reason = this.decoder.add(m.key, m.value, partition, Number(m.offset), Number(m.timestamp));
      if (reason !== undefined) dead.push({ message: m, reason });
      else byRow.push(m);
    }
    // Each row's offset goes with it into the window state: the commit's checkpoint is made of them.
    const p = this.scorer.prepare(rowColumns(set, this.names), set.rows, state, undefined, Float64Array.from(byRow, (m) => Number(m.offset)));
    for (let r = 0; r < set.rows; r++) {
      const reason = p.problems[r];
      if (reason !== undefined) dead.push({ message: byRow[r], reason });
    }
    const source = Array.from(p.index, (r) => byRow[r]);
    const fields = this.passthrough.length ? Array.from(p.index, (r) => this.fieldsJson(r)) : [];
    return { matrix: p.matrix, input: p.input, rows: p.rows, source, fields, dead };
  }

  private fieldsJson(row: number): string {
    let s = '';
    for (const name of this.passthrough) {
      const v = this.set.get(name)?.get(row);
      if (v !== undefined && v !== null) s += `${s ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(v)}`;
    }
    return s;
  }
}

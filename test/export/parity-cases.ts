/**
 * The cases the process parity tests run: the industrial motors data set (nested payloads, the
 * issue's own scenario) and generated topics (test/runtime/payloads.ts).
 */
import { keyPartition } from '../../sdk/runtime';
import { MOTOR_FEATURES, motorReadings } from '../../sdk/ingest/motors/generator';
import { flatName, toMessages, trainingRecords, type PayloadCase } from '../runtime/payloads';
import type { CaseMessage, ParityCase } from './parity-rig';

/** 20 motors on 4 partitions, keyed by motor; vibration windows per motor, as a user would set them up. */
export function motorsCase(name: string, seed: number): ParityCase {
  const partitions = 4;
  const readings = motorReadings({ motors: 20, readingsPerMotor: 40, faultRate: 0.05, seed });
  const messages: CaseMessage[] = readings.map((r) => {
    const key = Buffer.from(r.motor);
    return { partition: keyPartition(key, partitions), key, value: Buffer.from(JSON.stringify(r)) };
  });
  // A few records the app must dead-letter, as read() reports them.
  messages.push({ partition: 0, key: Buffer.from('M001'), value: Buffer.from('{"motor":"M001","vib":') });
  messages.push({ partition: 1, key: null, value: null });
  messages.push({ partition: 2, key: null, value: Buffer.from(JSON.stringify({ rpm: 1450, vib: { x: 1 } })) });
  return {
    name,
    partitions,
    messages,
    training: motorReadings({ motors: 20, readingsPerMotor: 60, faultRate: 0, seed: seed + 1 }) as unknown as Record<string, unknown>[],
    features: [...MOTOR_FEATURES],
    windows: [
      { field: 'vib.x', size: 5, stats: ['mean', 'std'] },
      { field: 'temp.bearing', size: 4, stats: ['diff', 'run'] },
    ],
    key: 'motor',
    seed,
    batchSize: 97,
  };
}

export function generatedCase(name: string, c: PayloadCase, seed: number, batchSize: number): ParityCase {
  const inputs = c.schema.inputs.map(flatName);
  return {
    name,
    partitions: c.schema.partitions,
    messages: toMessages(c).map(({ partition, key, value }) => ({ partition, key, value })),
    training: trainingRecords(c.schema, 30, seed),
    features: inputs,
    windows: c.schema.windows.map((w) => ({ field: inputs[w.input], size: w.size, stats: w.stats })),
    key: flatName(c.schema.key),
    seed,
    batchSize,
  };
}

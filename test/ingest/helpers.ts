import * as net from 'net';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';

export const MOSQUITTO = 'mqtt://127.0.0.1:1883';

export function mosquittoUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 1883 });
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A topic prefix no other run uses, so tests sharing one Mosquitto never see each other. */
export function uniquePrefix(name: string): string {
  return `kltest-${name}-${process.pid}-${Date.now().toString(36)}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds, at most `timeoutMs`; returns whether it held. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}

/** Every record of a topic, as plain objects (value fields plus _key, _offset, ...). */
export async function readAll(kafka: KafkaConnection, topic: string, opts: { headers?: boolean; format?: 'json' | 'string' } = {}): Promise<Record<string, unknown>[]> {
  const df = await kafka.topic(topic).read({ from: 'earliest', to: 'latest', ...opts } as never);
  return recordsOf(df);
}

export { connect };

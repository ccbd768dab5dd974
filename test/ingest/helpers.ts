import { listening } from '../helpers/skip';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';

export const MOSQUITTO = 'mqtt://127.0.0.1:1883';
export const MOSQUITTO_MISSING = 'Mosquitto does not listen on 127.0.0.1:1883 (apt-get install -y mosquitto; mosquitto -d -c /etc/mosquitto/mosquitto.conf)';

export const mosquittoUp = (): Promise<boolean> => listening(1883);

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

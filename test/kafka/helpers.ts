// An embedded broker and a KafkaConnection to it, the fixture most SDK tests start from.
import { startBroker, type Broker, type BrokerOptions } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';

export interface EmbeddedKafka {
  broker: Broker;
  kafka: KafkaConnection;
}

/** A broker on a free port (options as startBroker's) and a connection to it. */
export async function startEmbeddedKafka(opts: BrokerOptions = {}): Promise<EmbeddedKafka> {
  const broker = await startBroker({ port: 0, ...opts });
  const kafka = await connect({ brokers: broker.bootstrap });
  return { broker, kafka };
}

/** Closes the connection, then stops the broker; either may be missing when start-up failed. */
export async function stopEmbeddedKafka(env: Partial<EmbeddedKafka>): Promise<void> {
  await env.kafka?.close();
  await env.broker?.stop();
}

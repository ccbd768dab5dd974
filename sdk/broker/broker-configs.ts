/**
 * The broker's own configuration as DescribeConfigs shows it for a BROKER resource, under
 * Kafka's names: what startBroker() options set (source 'broker', Kafka's static broker config)
 * or their defaults (source 'default'). Everything here is read-only: the options apply at
 * start, so AlterConfigs on a broker is refused the way Kafka refuses non-dynamic keys.
 */
import * as path from 'path';
import { LogError, LogErrorCode } from './log/config';
import { brokerLogConfigs, type ConfigKind, type ConfigSourceName, type DescribedConfig } from './log/topic-configs';
import type { BrokerState } from './registry';

interface BrokerEntry {
  name: string;
  value: string;
  /** The built-in default; a value equal to it is reported with source 'default'. */
  builtIn?: string;
  type: ConfigKind;
  doc: string;
}

/** Extra entries other broker modules contribute (e.g. the memory budget's queued.max.request.bytes). */
const contributors: Array<(state: BrokerState) => BrokerEntry[]> = [];

export function contributeBrokerConfigs(fn: (state: BrokerState) => BrokerEntry[]): void {
  contributors.push(fn);
}

function ownEntries(state: BrokerState): BrokerEntry[] {
  const c = state.config;
  const listener = `PLAINTEXT://${c.advertisedHost}:${c.advertisedPort}`;
  return [
    { name: 'node.id', value: String(c.nodeId), type: 'int', doc: 'This broker\'s id (startBroker nodeId).' },
    { name: 'broker.id', value: String(c.nodeId), type: 'int', doc: 'The same as node.id.' },
    { name: 'advertised.listeners', value: listener, type: 'list', doc: 'Where clients are told to connect.' },
    { name: 'num.partitions', value: String(c.defaultPartitions), builtIn: '1', type: 'int', doc: 'Partitions of auto-created topics and of CreateTopics with -1 (startBroker partitions, --partitions).' },
    { name: 'auto.create.topics.enable', value: String(c.autoCreateTopics), builtIn: 'true', type: 'boolean', doc: 'Create unknown topics on Metadata requests (startBroker autoCreateTopics).' },
    { name: 'socket.request.max.bytes', value: String(c.maxFrameBytes), builtIn: String(100 * 1024 * 1024), type: 'int', doc: 'Largest request frame (startBroker maxFrameBytes).' },
    { name: 'connections.max.idle.ms', value: String(c.idleConnectionMs), builtIn: '600000', type: 'long', doc: 'Idle connections are closed after this long (startBroker idleConnectionMs).' },
    { name: 'log.dirs', value: state.logs.dataDir, type: 'string', doc: 'Where partition logs live (startBroker dataDir).' },
    { name: 'default.replication.factor', value: '1', builtIn: '1', type: 'int', doc: 'One node: always 1.' },
    { name: 'offsets.topic.replication.factor', value: '1', builtIn: '1', type: 'short', doc: 'One node: always 1.' },
    // Not Kafka's: say that this is a kafkalab broker and whose, so connect() can tell a reused
    // broker apart from a foreign listener on :9092 (sdk/kafka/connect.ts).
    { name: 'kafkalab.pid', value: String(process.pid), type: 'int', doc: 'kafkalab: the process id of the process running this broker.' },
    { name: 'kafkalab.data.dir', value: path.dirname(state.logs.dataDir), type: 'string', doc: 'kafkalab: the broker\'s data directory (startBroker dataDir; the logs are in its topics/ folder).' },
  ];
}

/** Every broker config with its value and source, sorted by name (DescribeConfigs on a BROKER). */
export function describeBrokerConfigs(state: BrokerState): DescribedConfig[] {
  const entries: BrokerEntry[] = [...ownEntries(state), ...contributors.flatMap((fn) => fn(state))];
  for (const l of brokerLogConfigs(state.logs.brokerDefaults)) {
    entries.push({ name: l.name, value: l.value, builtIn: l.builtIn, type: l.type, doc: l.documentation });
  }
  return entries
    .map((e): DescribedConfig => {
      const source: ConfigSourceName = e.builtIn !== undefined && e.value === e.builtIn ? 'default' : 'broker';
      const synonyms = [{ name: e.name, value: e.value, source }];
      if (source === 'broker' && e.builtIn !== undefined) synonyms.push({ name: e.name, value: e.builtIn, source: 'default' });
      return { name: e.name, value: e.value, source, readOnly: true, sensitive: false, type: e.type, documentation: e.doc, synonyms };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The error for AlterConfigs/IncrementalAlterConfigs on a broker: none of its configs is dynamic here. */
export function brokerConfigsReadOnly(names: string[]): LogError {
  return new LogError(
    LogErrorCode.INVALID_REQUEST,
    `Cannot update these configs dynamically: ${names.join(', ')} (kafkalab applies broker options at start; restart the broker with new options)`,
  );
}

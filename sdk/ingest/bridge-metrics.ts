/**
 * The bridge's counters in Prometheus' text exposition format, for whoever serves /metrics
 * (the CLI's `--metrics-port`, or an application embedding the bridge).
 */
import type { IngestStats } from './bridge';

const COUNTERS: [keyof IngestStats, string, string][] = [
  ['received', 'kafkalab_ingest_received_total', 'Messages taken from MQTT.'],
  ['produced', 'kafkalab_ingest_produced_total', 'Messages acknowledged by Kafka on the target topic.'],
  ['deadLettered', 'kafkalab_ingest_dead_lettered_total', 'Invalid payloads sent to the dead-letter topic (or dropped without one).'],
  ['redelivered', 'kafkalab_ingest_redelivered_total', 'Messages the MQTT broker marked as redeliveries (possible duplicates).'],
  ['dropped', 'kafkalab_ingest_qos0_dropped_total', 'QoS 0 messages the bridge dropped because its windows were full.'],
  ['brokerDropped', 'kafkalab_ingest_mqtt_broker_dropped_total', 'Messages the MQTT broker reported dropping since the bridge started (broker-wide $SYS counter).'],
  ['sequenceGaps', 'kafkalab_ingest_sequence_gaps', 'Per-device sequence numbers missing.'],
  ['sequenceRepeats', 'kafkalab_ingest_sequence_repeats_total', 'Per-device sequence numbers received more than once.'],
  ['errors', 'kafkalab_ingest_errors_total', 'Failed Kafka requests and MQTT errors.'],
  ['batches', 'kafkalab_ingest_batches_total', 'Kafka requests acknowledged.'],
  ['mqttReconnects', 'kafkalab_ingest_mqtt_reconnects_total', 'MQTT reconnections.'],
];

const GAUGES: [keyof IngestStats, string, string][] = [
  ['inFlight', 'kafkalab_ingest_in_flight', 'Messages received and not yet acknowledged by Kafka.'],
  ['mqttConnected', 'kafkalab_ingest_mqtt_connected', '1 when every MQTT connection is up.'],
  ['kafkaConnected', 'kafkalab_ingest_kafka_connected', '1 when the last Kafka request succeeded.'],
];

export function bridgeMetrics(s: IngestStats): string {
  const lines: string[] = [];
  const put = (key: keyof IngestStats, name: string, help: string, type: string) => {
    const v = s[key];
    if (v === undefined) return;
    const gapsIsGauge = key === 'sequenceGaps'; // can go down when a late message fills a gap
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${gapsIsGauge ? 'gauge' : type}`, `${name} ${typeof v === 'boolean' ? Number(v) : v}`);
  };
  for (const [key, name, help] of COUNTERS) put(key, name, help, 'counter');
  for (const [key, name, help] of GAUGES) put(key, name, help, 'gauge');
  return lines.join('\n') + '\n';
}

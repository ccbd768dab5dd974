// Ingestion: the car simulator, the embedded MQTT broker and the MQTT → Kafka bridge.
export * from './simulator';
export { simulateCars, type SimulateOptions, type SimulationResult, type Simulation } from './simulate';
export { startMqttBroker, type MqttBroker, type MqttBrokerOptions } from './mqtt-broker';
export { ingestMqtt, type IngestOptions, type IngestStats, type IngestBridge } from './bridge';
export { writeCarReadings, readCarReadings, type CarFileFormat } from './dataset-file';

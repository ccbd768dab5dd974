// Ingestion: the car simulator, the motor data set, the embedded MQTT broker and the MQTT → Kafka bridge.
export * from './simulator';
export { simulateCars, simulateMotors, type SimulateOptions, type SimulateMotorsOptions, type PublishOptions, type SimulationResult, type MotorSimulationResult, type Simulation } from './simulate';
export { startMqttBroker, type MqttBroker, type MqttBrokerOptions } from './mqtt-broker';
export { ingestMqtt, type IngestOptions, type IngestStats, type IngestBridge } from './bridge';
export { writeCarReadings, readCarReadings, writeMotorReadings, readMotorReadings, type CarFileFormat, type DatasetFileFormat } from './dataset-file';
export {
  generateMotorReadings, motorReadings, flatMotorReading, motorId, MOTOR_FEATURES, MOTOR_READING_FIELDS, MOTOR_FAULT_TYPES, BEARING_WEAR_LABEL_SEVERITY, OVERHEAT_LABEL_K,
  type MotorReading, type MotorReadingsOptions, type MotorFaultType,
} from './motors/generator';

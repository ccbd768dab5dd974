// Replaced at export time by a verbatim copy of kafkalab's sdk/kafka/raw-produce.ts (one source
// for the bridge and exported apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../kafka/raw-produce';

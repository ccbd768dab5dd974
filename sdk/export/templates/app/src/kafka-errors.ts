// Replaced at export time by a verbatim copy of kafkalab's sdk/protocol/errors.ts (Kafka's error
// table, one for kafkalab and its apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../protocol/errors';

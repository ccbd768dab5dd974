// Replaced at export time by a verbatim copy of kafkalab's sdk/kafka/adapter.ts (the one seam to
// kafkajs's internals); this line only lets kafkalab's own tests import the template.
export * from '../../../../kafka/adapter';

// Replaced at export time by a verbatim copy of kafkalab's sdk/protocol/batch-encoding.ts (one source
// for the bridge and exported apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../protocol/batch-encoding';

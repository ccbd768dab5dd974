// Replaced at export time by a verbatim copy of kafkalab's sdk/protocol/crc32c.ts (one source for
// the broker, the bridge and exported apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../protocol/crc32c';

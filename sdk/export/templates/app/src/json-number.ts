// Replaced at export time by a verbatim copy of kafkalab's sdk/frame/json-number.ts (one source for
// kafkalab's JSON reader and exported apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../frame/json-number';

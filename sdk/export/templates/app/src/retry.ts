// Replaced at export time by a verbatim copy of kafkalab's sdk/util/retry.ts (sleep, backoff and
// retry, one for kafkalab and its apps); this line only lets kafkalab's own tests import the template.
export * from '../../../../util/retry';

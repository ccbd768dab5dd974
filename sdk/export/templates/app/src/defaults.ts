/**
 * The values chosen at export time. Each one is only a default: the environment variable named
 * in config.ts overrides it.
 */
export const defaults = {
  appName: '{{APP_NAME}}',
  brokers: '{{BROKERS}}',
  inputTopic: '{{INPUT_TOPIC}}',
  outputTopic: '{{OUTPUT_TOPIC}}',
  dlqTopic: '{{DLQ_TOPIC}}',
  groupId: '{{GROUP_ID}}',
  outputMode: '{{OUTPUT_MODE}}',
  autoOffsetReset: '{{AUTO_OFFSET_RESET}}',
  batchSize: Number('{{BATCH_SIZE}}'),
  batchMs: Number('{{BATCH_MS}}'),
  topFeatures: Number('{{TOP_FEATURES}}'),
  kafkalabVersion: '{{KAFKALAB_VERSION}}',
  exportedAt: '{{EXPORTED_AT}}',
};

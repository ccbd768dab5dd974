/**
 * DescribeConfigs (32), v0-4.
 * Behavior:
 * - Topics: every Kafka topic config with its effective value and source (an override set on the
 *   topic, the broker's default, or the built-in default), from storage. Unknown topic: 3.
 * - This broker (resource name "" or its node id): its options under Kafka's names, read-only.
 *   Another broker id, or other resource types (broker loggers, groups, client metrics): 42.
 * - configuration_keys narrows the answer (null = all); synonyms and documentation only when
 *   asked. Needs DESCRIBE_CONFIGS on the topic / the cluster (29 / 31 otherwise).
 * Version notes:
 * - v0 answers is_default; v1+ the config source instead; v3+ the config type.
 */
import { registerApi } from '../registry';
import { describeBrokerConfigs } from '../broker-configs';
import { configResource, perResource } from '../config-resources';
import { ConfigType, configSourceCode, DescribeConfigsRequest, DescribeConfigsResponse } from '../../protocol/messages/describe-configs';
import type { ConfigKind, DescribedConfig } from '../log/topic-configs';

const TYPE_CODES: Record<ConfigKind, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  short: ConfigType.SHORT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
  class: ConfigType.CLASS,
  password: ConfigType.PASSWORD,
};

registerApi({
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    results: req.resources.map(({ resourceType, resourceName, configurationKeys }) =>
      perResource<DescribeConfigsResponse['results'][number]>(
        () => {
          const resource = configResource(ctx, resourceType, resourceName, false);
          let configs: DescribedConfig[] =
            resource.kind === 'topic' ? ctx.broker.logs.describeTopicConfigs(resource.name) : resource.name === '' ? [] : describeBrokerConfigs(ctx.broker);
          if (configurationKeys !== null) {
            const wanted = new Set(configurationKeys);
            configs = configs.filter((c) => wanted.has(c.name));
          }
          return {
            errorCode: 0,
            errorMessage: null,
            resourceType,
            resourceName,
            configs: configs.map((c) => ({
              name: c.name,
              value: c.sensitive ? null : c.value,
              readOnly: c.readOnly,
              isDefault: c.source === 'default',
              configSource: configSourceCode(c.source),
              isSensitive: c.sensitive,
              synonyms: req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: c.sensitive ? null : s.value, source: configSourceCode(s.source) })) : [],
              configType: TYPE_CODES[c.type],
              documentation: req.includeDocumentation ? c.documentation : null,
            })),
          };
        },
        (errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType, resourceName, configs: [] }),
      ),
    ),
  }),
});

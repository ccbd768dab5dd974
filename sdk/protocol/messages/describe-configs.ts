/**
 * DescribeConfigs (key 32), versions 0-4, flexible from 4.
 * Version notes: v0 answers is_default; v1+ a config source and synonyms instead; v3 adds the
 * config type and documentation.
 */
import { array, bool, int16, int32, int8, message, string, types, type Out } from '../schema';

/** Config resource types (not the ACL resource types). */
export const ConfigResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;
export const ConfigType = { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;

export const DescribeConfigsRequest = message({ name: 'DescribeConfigsRequest', apiKey: 32, versions: '0-4', flexible: '4+' }, {
  resources: array({
    resourceType: int8(),
    resourceName: string(),
    configurationKeys: array(types.string, '0+', { nullable: '0+' }),
  }),
  includeSynonyms: bool('1+', { default: false }),
  includeDocumentation: bool('3+', { default: false }),
});
export type DescribeConfigsRequest = Out<typeof DescribeConfigsRequest>;

export const DescribeConfigsResponse = message({ name: 'DescribeConfigsResponse', apiKey: 32, versions: '0-4', flexible: '4+' }, {
  throttleTimeMs: int32(),
  results: array({
    errorCode: int16(),
    errorMessage: string('0+', { nullable: '0+' }),
    resourceType: int8(),
    resourceName: string(),
    configs: array({
      name: string(),
      value: string('0+', { nullable: '0+' }),
      readOnly: bool(),
      isDefault: bool('0'),
      configSource: int8('1+', { default: -1 }),
      isSensitive: bool(),
      synonyms: array({ name: string('1+'), value: string('1+', { nullable: '0+' }), source: int8('1+') }, '1+'),
      configType: int8('3+', { default: 0 }),
      documentation: string('3+', { nullable: '0+' }),
    }),
  }),
});
export type DescribeConfigsResponse = Out<typeof DescribeConfigsResponse>;

/** The wire code of a config's source as storage names it (sdk/broker/log/topic-configs.ts). */
export function configSourceCode(source: 'topic' | 'broker' | 'default'): number {
  return source === 'topic' ? ConfigSource.DYNAMIC_TOPIC_CONFIG : source === 'broker' ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
}

/**
 * The resources DescribeConfigs, AlterConfigs and IncrementalAlterConfigs act on: topics
 * (configs in storage, sdk/broker/log/topic-configs.ts) and this broker (read-only,
 * sdk/broker/broker-configs.ts). One place decides which resource a request names, whether it
 * exists, and whether the principal may touch it, so the three handlers answer alike.
 */
import { ErrorCode } from '../protocol/errors';
import { AclOperation, AclResourceType } from '../protocol/messages/acl-types';
import { ConfigResourceType } from '../protocol/messages/describe-configs';
import { kafkaCodeOf } from './topics';
import type { RequestContext } from './registry';

export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

export type ConfigResource = { kind: 'topic'; name: string } | { kind: 'broker'; name: string };

/** A Kafka error for one resource, with the message the response carries. */
export class ConfigRefusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Which resource the request names, checked for existence and authorization (throws ConfigRefusal). */
export function configResource(ctx: RequestContext, type: number, name: string, alter: boolean): ConfigResource {
  const operation = alter ? AclOperation.ALTER_CONFIGS : AclOperation.DESCRIBE_CONFIGS;
  if (type === ConfigResourceType.TOPIC) {
    if (!ctx.authorize(operation, AclResourceType.TOPIC, name)) throw new ConfigRefusal(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized for topic ${name}`);
    if (!ctx.broker.logs.topic(name)) throw new ConfigRefusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    return { kind: 'topic', name };
  }
  if (type === ConfigResourceType.BROKER) {
    if (!ctx.authorize(operation, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) throw new ConfigRefusal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'not authorized for the cluster');
    const self = String(ctx.broker.config.nodeId);
    if (name !== '' && name !== self) throw new ConfigRefusal(ErrorCode.INVALID_REQUEST, `broker ${name} is not this broker (node ${self})`);
    return { kind: 'broker', name };
  }
  throw new ConfigRefusal(ErrorCode.INVALID_REQUEST, `config resource type ${type} is not supported (topics ${ConfigResourceType.TOPIC} and brokers ${ConfigResourceType.BROKER} are)`);
}

/** Runs one resource's work; storage errors and refusals become that resource's error code and message. */
export function perResource<T>(work: () => T, failed: (code: number, message: string) => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof ConfigRefusal) return failed(err.code, err.message);
    const code = kafkaCodeOf(err);
    if (code === undefined) throw err;
    return failed(code, (err as Error).message);
  }
}

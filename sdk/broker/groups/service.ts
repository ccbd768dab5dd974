/**
 * Plugs the coordinator into the broker as the 'groups' service: offsets persist in the broker's
 * OffsetStore, partition checks go to its LogManager. Group settings come from
 * `config.groups` when the broker passes them (Kafka's group.* broker settings).
 */
import { registerService, type BrokerState, type RequestContext } from '../registry';
import { GroupCoordinator, type GroupCoordinatorOptions } from './coordinator';

export type GroupSettings = Pick<GroupCoordinatorOptions, 'initialRebalanceDelayMs' | 'minSessionTimeoutMs' | 'maxSessionTimeoutMs'>;

export const GROUPS_SERVICE = 'groups';

export function createGroupCoordinator(broker: BrokerState): GroupCoordinator {
  const settings = (broker.config as { groups?: GroupSettings }).groups ?? {};
  return new GroupCoordinator({
    ...settings,
    offsets: broker.offsets,
    logger: broker.logger.child('groups'),
    partitionExists: (topic, partition) => {
      const info = broker.logs.topic(topic);
      return info !== undefined && partition >= 0 && partition < info.partitions;
    },
  });
}

registerService(GROUPS_SERVICE, createGroupCoordinator);

export function groupsOf(ctx: RequestContext): GroupCoordinator {
  return ctx.broker.service<GroupCoordinator>(GROUPS_SERVICE);
}

/** Kafka reports client hosts as "/address". */
export function clientHostOf(ctx: RequestContext): string {
  return `/${ctx.connection.host}`;
}

export { GroupCoordinator, DEFAULT_INITIAL_REBALANCE_DELAY_MS, type GroupCoordinatorOptions } from './coordinator';
export type { GroupOffsetStore, CommittedOffset } from './offsets';
export * from './types';

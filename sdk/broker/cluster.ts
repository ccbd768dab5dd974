/**
 * A test-only multi-node mode, in the spirit of franz-go's kfake: `startBroker({ nodes: 3 })`
 * runs N broker nodes in one process, each on its own port, over ONE shared storage (the same
 * logs, committed offsets, producer state and group coordinator). There is no replication:
 * each partition has exactly one copy, and "leadership" only says which node serves it.
 *
 * What it gives tests of clients (kafkalab's fast paths, the bridge, the app, peers):
 * - Metadata lists the live nodes and, per partition, its leader (partitions spread over the
 *   nodes round-robin) with a leader epoch that grows on every move; a partition whose leader
 *   is stopped answers LEADER_NOT_AVAILABLE with leader -1.
 * - Produce, Fetch, ListOffsets, DeleteRecords and OffsetForLeaderEpoch sent to a node that
 *   does not lead the partition answer NOT_LEADER_OR_FOLLOWER (6), as Kafka does after a move.
 * - One node (the lowest id) coordinates every group and transaction; FindCoordinator names it,
 *   and answers COORDINATOR_NOT_AVAILABLE (15) while it is stopped.
 * - `moveLeader(topic, partition, node)` moves leadership on demand; `stopNode(id)` closes a
 *   node's listener and connections (its partitions stay leaderless unless `failover` moves
 *   them to live nodes, like a controller electing new leaders); `startNode(id)` listens again
 *   on the same port and, with `takeBack`, leads its partitions again (a preferred-leader
 *   election after a rolling restart).
 * Nothing acknowledged is lost by any of these, because the storage never moves.
 */
import { KafkalabError } from '../util/errors';
import { ErrorCode } from '../protocol/errors';
import type { BrokerConfig, BrokerState } from './registry';
import { BrokerServer } from './server';

export interface ClusterNode {
  nodeId: number;
  host: string;
  port: number;
}

/** What handlers ask of the cluster (absent on an ordinary single-node broker). */
export interface ClusterView {
  /** The nodes accepting connections, for Metadata and DescribeCluster. */
  liveNodes(): ClusterNode[];
  /** The node leading the partition, -1 while that node is stopped. */
  leaderOf(topic: string, partition: number): number;
  /** Grows by one on every leadership change of the partition. */
  leaderEpochOf(topic: string, partition: number): number;
  /** The group and transaction coordinator, -1 while it is stopped. */
  coordinator(): ClusterNode | undefined;
  /** The controller named in Metadata: the lowest live node id. */
  controllerId(): number;
}

/** Test control of a multi-node broker (`broker.cluster`). */
export interface ClusterControl {
  /** Every node, running or not, with its port. */
  readonly nodes: readonly ClusterNode[];
  /** Bootstrap list of every node, e.g. 'localhost:4101,localhost:4102,localhost:4103'. */
  readonly bootstrap: string;
  isRunning(nodeId: number): boolean;
  leaderOf(topic: string, partition: number): number;
  /** Moves the partition's leadership to `nodeId` (which must exist; it may be stopped). */
  moveLeader(topic: string, partition: number, nodeId: number): void;
  /** Closes the node's listener and connections; `failover` moves its partitions to live nodes. */
  stopNode(nodeId: number, opts?: { failover?: boolean }): Promise<void>;
  /** Listens again on the node's port; `takeBack` gives it back the partitions first placed on it. */
  startNode(nodeId: number, opts?: { takeBack?: boolean }): Promise<void>;
}

/** The leader epoch of every partition of a single-node broker. */
export const LEADER_EPOCH = 0;

/** The partition's current leader epoch: constant on one node, grown by every move in a cluster. */
export function leaderEpoch(state: BrokerState, topic: string, partition: number): number {
  return state.cluster ? state.cluster.leaderEpochOf(topic, partition) : LEADER_EPOCH;
}

/**
 * The answer for a partition request that reached `state`'s node: NONE when it leads (or the
 * broker is a single node), NOT_LEADER_OR_FOLLOWER otherwise (also when no node leads: the
 * client refreshes its metadata and there sees LEADER_NOT_AVAILABLE).
 */
export function leadershipError(state: BrokerState, topic: string, partition: number): number {
  const cluster = state.cluster;
  if (!cluster) return ErrorCode.NONE;
  return cluster.leaderOf(topic, partition) === state.config.nodeId ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}

interface NodeSlot extends ClusterNode {
  state: BrokerState;
  server: BrokerServer | undefined;
}

export class BrokerCluster implements ClusterView, ClusterControl {
  private readonly slots: NodeSlot[] = [];
  /** `topic\0partition` → leader, for partitions moved away from their first placement. */
  private readonly moved = new Map<string, number>();
  private readonly epochs = new Map<string, number>();

  private constructor(
    private readonly first: BrokerState,
    private readonly bindHost: string,
  ) {}

  /**
   * Turns the started single node `first` (whose server is `firstServer`) into node 0 of a
   * cluster of `count` nodes: the others listen on ephemeral ports of `host` over the same state.
   */
  static async start(first: BrokerState, firstServer: BrokerServer, count: number, host: string): Promise<BrokerCluster> {
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new KafkalabError(`nodes must be an integer from 1 to 64, got ${count}`, { code: 'BAD_OPTION' });
    const cluster = new BrokerCluster(first, host);
    (first as { cluster?: ClusterView }).cluster = cluster;
    const base = first.config.nodeId;
    cluster.slots.push({ nodeId: base, host: first.config.advertisedHost, port: first.config.advertisedPort, state: first, server: firstServer });
    try {
      for (let i = 1; i < count; i++) {
        const config: BrokerConfig = { ...first.config, nodeId: base + i };
        // The node sees everything of the first one (storage, services, `stopping`) but its own id and port.
        const state = Object.create(first, { config: { value: config, enumerable: true } }) as BrokerState;
        const server = new BrokerServer(state);
        const bound = await server.listen(0, host);
        config.advertisedPort = bound.port;
        cluster.slots.push({ nodeId: config.nodeId, host: config.advertisedHost, port: bound.port, state, server });
      }
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  get nodes(): readonly ClusterNode[] {
    return this.slots.map(({ nodeId, host, port }) => ({ nodeId, host, port }));
  }

  get bootstrap(): string {
    return this.slots.map((s) => `${s.host === '127.0.0.1' ? 'localhost' : s.host}:${s.port}`).join(',');
  }

  isRunning(nodeId: number): boolean {
    return this.slot(nodeId).server !== undefined;
  }

  liveNodes(): ClusterNode[] {
    return this.slots.filter((s) => s.server).map(({ nodeId, host, port }) => ({ nodeId, host, port }));
  }

  /** Where a partition is led unless moved: spread round-robin, shifted per topic. */
  private placed(topic: string, partition: number): number {
    let h = 0;
    for (let i = 0; i < topic.length; i++) h = (h * 31 + topic.charCodeAt(i)) | 0;
    return this.slots[(((h % this.slots.length) + this.slots.length + partition) % this.slots.length) | 0].nodeId;
  }

  private assigned(topic: string, partition: number): number {
    return this.moved.get(`${topic}\0${partition}`) ?? this.placed(topic, partition);
  }

  leaderOf(topic: string, partition: number): number {
    const node = this.assigned(topic, partition);
    return this.isRunning(node) ? node : -1;
  }

  leaderEpochOf(topic: string, partition: number): number {
    return this.epochs.get(`${topic}\0${partition}`) ?? 0;
  }

  coordinator(): ClusterNode | undefined {
    const s = this.slots[0];
    return s.server ? { nodeId: s.nodeId, host: s.host, port: s.port } : undefined;
  }

  controllerId(): number {
    return this.liveNodes()[0]?.nodeId ?? -1;
  }

  moveLeader(topic: string, partition: number, nodeId: number): void {
    this.slot(nodeId);
    if (!this.first.logs.partition(topic, partition)) throw new KafkalabError(`unknown partition ${topic}-${partition}`, { code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const key = `${topic}\0${partition}`;
    if (this.assigned(topic, partition) === nodeId) return;
    if (this.placed(topic, partition) === nodeId) this.moved.delete(key);
    else this.moved.set(key, nodeId);
    this.epochs.set(key, this.leaderEpochOf(topic, partition) + 1);
    this.first.logger.debug('leader moved', { topic, partition, leader: nodeId });
  }

  async stopNode(nodeId: number, opts: { failover?: boolean } = {}): Promise<void> {
    const slot = this.slot(nodeId);
    const server = slot.server;
    if (!server) return;
    slot.server = undefined;
    await server.close();
    this.first.logger.info('node stopped', { nodeId });
    if (!opts.failover) return;
    const live = this.liveNodes();
    if (!live.length) return;
    let next = 0;
    for (const t of this.first.logs.topics()) {
      for (let p = 0; p < t.partitions; p++) {
        if (this.assigned(t.name, p) === nodeId) this.moveLeader(t.name, p, live[next++ % live.length].nodeId);
      }
    }
  }

  async startNode(nodeId: number, opts: { takeBack?: boolean } = {}): Promise<void> {
    const slot = this.slot(nodeId);
    if (slot.server) return;
    const server = new BrokerServer(slot.state);
    await server.listen(slot.port, this.bindHost);
    slot.server = server;
    this.first.logger.info('node started', { nodeId, port: slot.port });
    if (!opts.takeBack) return;
    for (const t of this.first.logs.topics()) {
      for (let p = 0; p < t.partitions; p++) if (this.placed(t.name, p) === nodeId) this.moveLeader(t.name, p, nodeId);
    }
  }

  /** Closes every node's listener (the storage is the first node's to close). */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        const server = s.server;
        s.server = undefined;
        await server?.close();
      }),
    );
  }

  /** The node's server when it runs (the first node's is closed by the broker's stop). */
  serverOf(nodeId: number): BrokerServer | undefined {
    return this.slot(nodeId).server;
  }

  private slot(nodeId: number): NodeSlot {
    const s = this.slots.find((x) => x.nodeId === nodeId);
    if (!s) throw new KafkalabError(`no node ${nodeId} in this cluster (nodes ${this.slots.map((x) => x.nodeId).join(', ')})`, { code: 'BAD_OPTION' });
    return s;
  }
}

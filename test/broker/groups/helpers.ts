import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GroupCoordinator, type GroupCoordinatorOptions, type JoinRequest, type JoinResponse } from '../../../sdk/broker/groups';
import { OffsetStore } from '../../../sdk/broker/log';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The broker's real OffsetStore on a temp dir; `cleanup` closes it and removes the dir. */
export function openStore(): { store: OffsetStore; dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-groups-'));
  const store = OffsetStore.open(dir);
  return {
    store,
    dir,
    cleanup() {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function coordinator(opts: Partial<GroupCoordinatorOptions> = {}) {
  const s = openStore();
  const c = new GroupCoordinator({ offsets: s.store, minSessionTimeoutMs: 10, initialRebalanceDelayMs: 30, ...opts });
  return {
    c,
    store: s.store,
    dir: s.dir,
    close() {
      c.close();
      s.cleanup();
    },
  };
}

export const meta = (s: string) => Buffer.from(s);

export function joinReq(groupId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 1000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: meta('m') }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    ...over,
  };
}

/**
 * JoinGroup v4+ as clients do it: get MEMBER_ID_REQUIRED with an id, then join with that id.
 * Resolves once the second join is registered; `done` is its held answer.
 */
export async function joinNew(c: GroupCoordinator, req: JoinRequest): Promise<{ memberId: string; done: Promise<JoinResponse> }> {
  const first = await c.join(req);
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return { memberId: first.memberId, done: c.join({ ...req, memberId: first.memberId }) };
}

export const answers = (held: Array<{ done: Promise<JoinResponse> }>) => Promise.all(held.map((h) => h.done));

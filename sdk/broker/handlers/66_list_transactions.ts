/**
 * ListTransactions (66), v0-1.
 * Behavior:
 * - Every transactional id the coordinator knows that the principal may DESCRIBE, with its
 *   producer id and state (Kafka's names), filtered by state (any of `stateFilters`) and producer
 *   id (any of `producerIdFilters`); empty filters match everything. State names are matched
 *   without regard to case (Kafka compares them exactly; @platformatic/kafka sends them in
 *   capitals); names that are no state come back in `unknownStateFilters`, and when every name
 *   given is unknown nothing matches.
 * Version notes:
 * - v1 adds `durationFilter` (KIP-994): only transactions open for at least that many ms (-1: no filter).
 * - v2 (a transactional id pattern) is not served.
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/messages/list-transactions';
import { transactionsOf } from '../txn/coordinator';

const STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'];

registerApi({
  request: ListTransactionsRequest,
  response: ListTransactionsResponse,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx) => {
    const known = new Map(STATES.map((s) => [s.toLowerCase(), s]));
    const wanted = new Set<string>();
    const unknownStateFilters: string[] = [];
    for (const name of req.stateFilters) {
      // Kafka's names are CamelCase; SNAKE_CASE spellings name the same states.
      const state = known.get(name.toLowerCase().replace(/_/g, ''));
      if (state) wanted.add(state);
      else unknownStateFilters.push(name);
    }
    const producers = new Set(req.producerIdFilters.map(Number));
    const now = Date.now();
    const listed =
      req.stateFilters.length > 0 && wanted.size === 0
        ? []
        : transactionsOf(ctx.broker)
            .list()
            .filter((t) => (wanted.size === 0 || wanted.has(t.state)) && (producers.size === 0 || producers.has(t.producerId)))
            .filter((t) => req.durationFilter < 0 || (t.startedAt > 0 && now - t.startedAt >= req.durationFilter))
            .filter((t) => ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TRANSACTIONAL_ID, t.id));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      unknownStateFilters,
      transactionStates: listed.map((t) => ({ transactionalId: t.id, producerId: t.producerId, transactionState: t.state })),
    };
  },
});

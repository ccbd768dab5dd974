/**
 * ListTransactions (key 66), versions 0-1, flexible (KIP-664).
 * Version notes: v1 filters by how long a transaction has run (KIP-994).
 */
import { array, int16, int32, int64, message, string, types, type Out } from '../schema';

export const ListTransactionsRequest = message({ name: 'ListTransactionsRequest', apiKey: 66, versions: '0-1', flexible: '0+' }, {
  stateFilters: array(types.string),
  producerIdFilters: array(types.int64),
  durationFilter: int64('1+', { default: -1 }),
});
export type ListTransactionsRequest = Out<typeof ListTransactionsRequest>;

export const ListTransactionsResponse = message({ name: 'ListTransactionsResponse', apiKey: 66, versions: '0-1', flexible: '0+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
  unknownStateFilters: array(types.string),
  transactionStates: array({ transactionalId: string(), producerId: int64(), transactionState: string() }),
});
export type ListTransactionsResponse = Out<typeof ListTransactionsResponse>;

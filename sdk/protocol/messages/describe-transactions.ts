/**
 * DescribeTransactions (key 65), version 0, flexible (KIP-664).
 */
import { array, int16, int32, int64, message, string, types, type Out } from '../schema';

export const DescribeTransactionsRequest = message({ name: 'DescribeTransactionsRequest', apiKey: 65, versions: '0', flexible: '0+' }, {
  transactionalIds: array(types.string),
});
export type DescribeTransactionsRequest = Out<typeof DescribeTransactionsRequest>;

export const DescribeTransactionsResponse = message({ name: 'DescribeTransactionsResponse', apiKey: 65, versions: '0', flexible: '0+' }, {
  throttleTimeMs: int32(),
  transactionStates: array({
    errorCode: int16(),
    transactionalId: string(),
    transactionState: string(),
    transactionTimeoutMs: int32(),
    transactionStartTimeMs: int64(),
    producerId: int64(),
    producerEpoch: int16(),
    topics: array({ topic: string(), partitions: array(types.int32) }),
  }),
});
export type DescribeTransactionsResponse = Out<typeof DescribeTransactionsResponse>;

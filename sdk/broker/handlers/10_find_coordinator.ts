/**
 * FindCoordinator (10), v0-2.
 * Behavior:
 * - This single node coordinates every group and every transactional id, so the answer is
 *   always this broker's advertised host and port (the bound port when it listens on port 0).
 * - An empty key is INVALID_REQUEST for transactions and INVALID_GROUP_ID for groups, as in Kafka.
 */
import { registerHandler } from '../registry';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator';
import { GroupErrorCode } from '../groups/types';

const INVALID_REQUEST = 42;

registerHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  flexibleVersion: 3,
  decodeRequest: decodeFindCoordinatorRequest,
  handle: (req, ctx) => {
    const { nodeId, advertisedHost, advertisedPort } = ctx.broker.config;
    if (req.key === '') {
      const errorCode = req.keyType === 1 ? INVALID_REQUEST : GroupErrorCode.INVALID_GROUP_ID;
      return { throttleTimeMs: 0, errorCode, errorMessage: 'empty coordinator key', nodeId: -1, host: '', port: -1 };
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId, host: advertisedHost, port: advertisedPort };
  },
  encodeResponse: encodeFindCoordinatorResponse,
});

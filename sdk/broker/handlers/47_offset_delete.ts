/**
 * OffsetDelete (47), v0.
 * Behavior:
 * - Forgets a group's committed offsets for the given partitions (KIP-496), durably.
 * - While a consumer group has members, partitions of topics they subscribe to are kept and
 *   answered 86 GROUP_SUBSCRIBED_TO_TOPIC; a group with members of another protocol type gets
 *   68 NON_EMPTY_GROUP; an unknown group 69 GROUP_ID_NOT_FOUND.
 * - Needs DELETE on the group (30 otherwise) and READ on each topic (29 for that topic).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/messages/offset-delete';
import { groupsOf } from '../groups/service';

registerApi({
  request: OffsetDeleteRequest,
  response: OffsetDeleteResponse,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx) => {
    if (!ctx.authorize(AclOperation.DELETE, AclResourceType.GROUP, req.groupId)) {
      return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    }
    const readable = req.topics.filter((t) => ctx.authorize(AclOperation.READ, AclResourceType.TOPIC, t.name));
    const res = groupsOf(ctx).deleteOffsets(
      req.groupId,
      readable.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
    );
    const refused = req.topics
      .filter((t) => !readable.includes(t))
      .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [...res.topics, ...refused] };
  },
});

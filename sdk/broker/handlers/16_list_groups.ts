/**
 * ListGroups (16), v0-2.
 * Behavior:
 * - Every group this broker knows: groups with members, and empty groups that still have
 *   committed offsets (protocol type "" for those).
 */
import { registerHandler } from '../registry';
import { decodeListGroupsRequest, encodeListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/list-groups';
import { groupsOf } from '../groups/service';

registerHandler<ListGroupsRequest, ListGroupsResponse>({
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleVersion: 3,
  decodeRequest: decodeListGroupsRequest,
  handle: (_req, ctx) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    groups: groupsOf(ctx).groups().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '' })),
  }),
  encodeResponse: encodeListGroupsResponse,
});

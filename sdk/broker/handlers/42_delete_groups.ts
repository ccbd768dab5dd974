/**
 * DeleteGroups (42), v0-1.
 * Behavior:
 * - Deletes empty groups together with their committed offsets. A group with members gets
 *   NON_EMPTY_GROUP (68), an unknown one GROUP_ID_NOT_FOUND (69), an empty id 24.
 */
import { registerHandler } from '../registry';
import { decodeDeleteGroupsRequest, encodeDeleteGroupsResponse, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups';
import { groupsOf } from '../groups/service';
import { GroupErrorCode } from '../groups/types';

registerHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 1,
  flexibleVersion: 2,
  decodeRequest: decodeDeleteGroupsRequest,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => ({
      groupId,
      errorCode: groupId ? groupsOf(ctx).deleteGroup(groupId) : GroupErrorCode.INVALID_GROUP_ID,
    })),
  }),
  encodeResponse: encodeDeleteGroupsResponse,
});

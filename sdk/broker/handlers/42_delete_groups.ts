/**
 * DeleteGroups (42), v0-2.
 * Behavior:
 * - Deletes empty groups together with their committed offsets. A group with members gets
 *   NON_EMPTY_GROUP (68), an unknown one GROUP_ID_NOT_FOUND (69), an empty id 24.
 */
import { registerApi } from '../registry';
import { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/messages/delete-groups';
import { groupsOf } from '../groups/service';
import { GroupErrorCode } from '../groups/types';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

registerApi({
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
  minVersion: 0,
  maxVersion: 2,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => ({
      groupId,
      errorCode: !groupId
        ? GroupErrorCode.INVALID_GROUP_ID
        : ctx.authorize(AclOperation.DELETE, AclResourceType.GROUP, groupId)
          ? groupsOf(ctx).deleteGroup(groupId)
          : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    })),
  }),
});

/**
 * ListGroups (16), v0-5.
 * Behavior:
 * - Every group this broker knows: groups with members, and empty groups that still have
 *   committed offsets (protocol type "" for those).
 * Version notes:
 * - v4+ filter by state (case-insensitive, as Kafka) and answer each group's state; v5+ filter by
 *   type and answer each group's type: every group here is "classic".
 */
import { registerApi } from '../registry';
import { ListGroupsRequest, ListGroupsResponse } from '../../protocol/messages/list-groups';
import { groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';

const GROUP_TYPE = 'classic';

registerApi({
  request: ListGroupsRequest,
  response: ListGroupsResponse,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx) => {
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
    // ACLs: DESCRIBE on the cluster lists every group, else those the principal may DESCRIBE.
    const all = ctx.authorize(AclOperation.DESCRIBE, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
    const listed = groupsOf(ctx)
      .groups()
      .filter((g) => all || ctx.authorize(AclOperation.DESCRIBE, AclResourceType.GROUP, g.groupId))
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: listed.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: GROUP_TYPE })),
    };
  },
});

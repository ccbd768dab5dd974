/**
 * DescribeGroups (key 15), versions 0-4 (flexible from 5, not advertised).
 *
 * DescribeGroupsRequest => [groups:string] include_authorized_operations:bool (v3+)
 * DescribeGroupsResponse => throttle_time_ms:int32 (v1+)
 *   [groups: error_code:int16 group_id:string group_state:string protocol_type:string
 *     protocol_data:string
 *     [members: member_id:string group_instance_id:nullable_string (v4+) client_id:string
 *       client_host:string member_metadata:bytes member_assignment:bytes]
 *     authorized_operations:int32 (v3+)]
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}
export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead */
  groupState: string;
  protocolType: string;
  /** The chosen protocol (assignor) name. */
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}
export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

/** Kafka's "not requested" value for authorized operations. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function decodeDescribeGroupsRequest(r: Reader, version: number): DescribeGroupsRequest {
  return { groups: r.array((r) => r.string()), includeAuthorizedOperations: version >= 3 ? r.boolean() : false };
}
export function encodeDescribeGroupsRequest(w: Writer, req: DescribeGroupsRequest, version: number): void {
  w.array(req.groups, (w, g) => void w.string(g));
  if (version >= 3) w.boolean(req.includeAuthorizedOperations);
}
export function encodeDescribeGroupsResponse(w: Writer, res: DescribeGroupsResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
    w.array(g.members, (w, m) => {
      w.string(m.memberId);
      if (version >= 4) w.nullableString(m.groupInstanceId);
      w.string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
    });
    if (version >= 3) w.int32(g.authorizedOperations);
  });
}
export function decodeDescribeGroupsResponse(r: Reader, version: number): DescribeGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const groups = r.array((r) => ({
    errorCode: r.int16(),
    groupId: r.string(),
    groupState: r.string(),
    protocolType: r.string(),
    protocolData: r.string(),
    members: r.array((r) => ({
      memberId: r.string(),
      groupInstanceId: version >= 4 ? r.nullableString() : null,
      clientId: r.string(),
      clientHost: r.string(),
      memberMetadata: r.bytes(),
      memberAssignment: r.bytes(),
    })),
    authorizedOperations: version >= 3 ? r.int32() : AUTHORIZED_OPERATIONS_OMITTED,
  }));
  return { throttleTimeMs, groups };
}

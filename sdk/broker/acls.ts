/**
 * ACLs and the authorizer, with Kafka's AclAuthorizer rules (written from Kafka's documentation):
 * - super users may do everything;
 * - an ACL applies to a resource when its type matches and its pattern is the literal name, the
 *   literal wildcard `*`, or a prefix of the name (PREFIXED); to a principal when it names it or
 *   `User:*`; to a host when it names it or `*`; to an operation when it is that operation or ALL;
 * - any applying DENY refuses; otherwise any applying ALLOW allows. DESCRIBE is implied by READ,
 *   WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS;
 * - a resource no ACL applies to (for anyone) is allowed when `allowIfNoAclFound` is set
 *   (Kafka's allow.everyone.if.no.acl.found; kafkalab's default, so turning SASL on does not
 *   lock every user out of every topic), else refused.
 * ACLs persist in `<dataDir>/acls.json` (written atomically) across restarts.
 */
import * as fs from 'fs';
import { writeFileAtomic } from './log/durable-file';
import { ErrorCode } from '../protocol/errors';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Permission, AclResourceType as Type } from '../protocol/messages/acl-types';
import type { AclBinding, AclFilter, AclStore, Authorizer, Resource } from './security';

const IMPLIED: Partial<Record<number, number[]>> = {
  [Op.DESCRIBE]: [Op.DESCRIBE, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER],
  [Op.DESCRIBE_CONFIGS]: [Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS],
};
const NAMED_TYPES: Record<string, number> = { topic: Type.TOPIC, group: Type.GROUP, cluster: Type.CLUSTER, transactional_id: Type.TRANSACTIONAL_ID, transactionalid: Type.TRANSACTIONAL_ID };
export const CLUSTER_NAME = 'kafka-cluster';

export interface AclOptions {
  /** Principals allowed everything, e.g. ['User:admin'] (Kafka's super.users). */
  superUsers?: string[];
  /** A resource with no ACL at all is open to everyone (default true; Kafka's default is false). */
  allowIfNoAclFound?: boolean;
  /** ACLs to start with (added to those already stored in the data directory). */
  bindings?: AclSpec[];
}

/** An ACL as a user writes it: names instead of codes. */
export interface AclSpec {
  resourceType: 'topic' | 'group' | 'cluster' | 'transactional_id';
  resourceName: string;
  patternType?: 'literal' | 'prefixed';
  principal: string;
  host?: string;
  operation: keyof typeof Op extends infer K ? Lowercase<K & string> : never;
  permission?: 'allow' | 'deny';
}

export function aclFromSpec(s: AclSpec): AclBinding {
  const op = (Op as Record<string, number>)[String(s.operation).toUpperCase()];
  return {
    resourceType: NAMED_TYPES[String(s.resourceType).toLowerCase()] ?? Type.UNKNOWN,
    resourceName: s.resourceName,
    patternType: s.patternType === 'prefixed' ? Pattern.PREFIXED : Pattern.LITERAL,
    principal: s.principal,
    host: s.host ?? '*',
    operation: op ?? Op.UNKNOWN,
    permissionType: s.permission === 'deny' ? Permission.DENY : Permission.ALLOW,
  };
}

/** Why a binding cannot be stored (Kafka answers INVALID_REQUEST), or undefined. */
export function bindingProblem(b: AclBinding): string | undefined {
  if (![Type.TOPIC, Type.GROUP, Type.CLUSTER, Type.TRANSACTIONAL_ID, Type.DELEGATION_TOKEN, Type.USER].includes(b.resourceType as never)) return `invalid resource type ${b.resourceType}`;
  if (b.patternType !== Pattern.LITERAL && b.patternType !== Pattern.PREFIXED) return `invalid pattern type ${b.patternType} (LITERAL or PREFIXED)`;
  if (!b.resourceName) return 'resource name must not be empty';
  if (b.resourceType === Type.CLUSTER && (b.resourceName !== CLUSTER_NAME || b.patternType !== Pattern.LITERAL)) return `the cluster resource is the literal "${CLUSTER_NAME}"`;
  if (b.operation <= Op.ANY || b.operation > Op.DESCRIBE_TOKENS) return `invalid operation ${b.operation}`;
  if (b.permissionType !== Permission.ALLOW && b.permissionType !== Permission.DENY) return `invalid permission type ${b.permissionType}`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `invalid principal "${b.principal}" (expected Type:name, e.g. User:alice)`;
  if (!b.host) return 'host must not be empty (use * for any host)';
  return undefined;
}

function same(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

/** Does the ACL's resource pattern apply to this resource name? */
function patternApplies(b: AclBinding, name: string): boolean {
  if (b.patternType === Pattern.LITERAL) return b.resourceName === name || b.resourceName === '*';
  return b.patternType === Pattern.PREFIXED && name.startsWith(b.resourceName);
}

/** Kafka's AclBindingFilter semantics (null and ANY match anything; MATCH = applies to the name). */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== Type.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === Pattern.MATCH) {
    if (f.resourceName !== null && !(b.resourceName === f.resourceName || patternApplies(b, f.resourceName))) return false;
  } else {
    if (f.patternType !== Pattern.ANY && f.patternType !== b.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== b.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Op.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== Permission.ANY && f.permissionType !== b.permissionType) return false;
  return true;
}

export class AclAuthorizer implements Authorizer, AclStore {
  private bindings: AclBinding[] = [];
  private readonly superUsers: Set<string>;
  private readonly allowIfNoAclFound: boolean;

  constructor(
    opts: AclOptions = {},
    /** Where ACLs persist; undefined = memory only. */
    private readonly file?: string,
  ) {
    this.superUsers = new Set(opts.superUsers ?? []);
    this.allowIfNoAclFound = opts.allowIfNoAclFound ?? true;
    if (file && fs.existsSync(file)) {
      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as AclBinding[];
      this.bindings = stored.filter((b) => !bindingProblem(b));
    }
    const initial = (opts.bindings ?? []).map(aclFromSpec);
    for (const b of initial) {
      const problem = bindingProblem(b);
      if (problem) throw new Error(`invalid ACL ${JSON.stringify(b)}: ${problem}`);
    }
    if (initial.length) this.create(initial);
  }

  authorize(principal: string, host: string, operation: number, resource: Resource): boolean {
    if (this.superUsers.has(principal)) return true;
    const applying = this.bindings.filter((b) => b.resourceType === resource.type && patternApplies(b, resource.name));
    if (!applying.length) return this.allowIfNoAclFound;
    const mine = applying.filter((b) => (b.principal === principal || b.principal === 'User:*') && (b.host === host || b.host === '*'));
    if (mine.some((b) => b.permissionType === Permission.DENY && (b.operation === operation || b.operation === Op.ALL))) return false;
    const allowedBy = IMPLIED[operation] ?? [operation];
    return mine.some((b) => b.permissionType === Permission.ALLOW && (b.operation === Op.ALL || allowedBy.includes(b.operation)));
  }

  describe(filter: AclFilter): AclBinding[] {
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  create(bindings: AclBinding[]): Array<{ errorCode: number; errorMessage: string | null }> {
    const results = bindings.map((b) => {
      const problem = bindingProblem(b);
      if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
      if (!this.bindings.some((x) => same(x, b))) this.bindings.push({ ...b });
      return { errorCode: 0, errorMessage: null };
    });
    this.save();
    return results;
  }

  delete(filters: AclFilter[]): Array<{ errorCode: number; errorMessage: string | null; deleted: AclBinding[] }> {
    const results = filters.map((f) => {
      const deleted = this.bindings.filter((b) => filterMatches(f, b));
      this.bindings = this.bindings.filter((b) => !deleted.includes(b));
      return { errorCode: 0, errorMessage: null, deleted };
    });
    this.save();
    return results;
  }

  private save(): void {
    if (!this.file) return;
    writeFileAtomic(this.file, JSON.stringify(this.bindings) + '\n');
  }
}

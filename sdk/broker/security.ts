/**
 * The broker's security seam: who a connection is (its principal), how it proves it (SASL), and
 * what it may do (the authorizer). What ships here is the plaintext default: no SASL mechanism,
 * every connection `User:ANONYMOUS`, everything allowed, exactly today's behaviour.
 *
 * A security module plugs in by registering its own 'security' service (the last registration
 * of a name wins), built from the broker's options:
 *
 *   registerService(SECURITY_SERVICE, (broker) => ({
 *     saslMechanisms: ['PLAIN', 'SCRAM-SHA-256'],
 *     requireAuthentication: true,
 *     startSasl: (mechanism, connection) => new ScramExchange(...),   // a SaslExchange
 *     authorizer: new AclAuthorizer(...),
 *   }));
 *
 * Where it is used:
 * - server.ts keeps per-connection state (`principal`, `authenticated`, the SASL exchange in
 *   progress) and, when `requireAuthentication` is set, refuses any request but ApiVersions,
 *   SaslHandshake and SaslAuthenticate before authentication (Kafka closes such connections);
 *   after a SaslHandshake v0 it reads raw SASL tokens (no Kafka framing), as KIP-152 keeps.
 * - handlers 17 (SaslHandshake) and 36 (SaslAuthenticate) drive the exchange;
 * - handlers call `ctx.authorize(operation, resourceType, name)` (codes in
 *   sdk/protocol/messages/acl-types.ts) before acting; a refusal becomes the API's
 *   *_AUTHORIZATION_FAILED error code for that resource.
 */
import { registerService, type BrokerState, type Service } from './registry';

export const SECURITY_SERVICE = 'security';
export const ANONYMOUS = 'User:ANONYMOUS';

export interface Resource {
  /** AclResourceType code: TOPIC 2, GROUP 3, CLUSTER 4, TRANSACTIONAL_ID 5... */
  type: number;
  name: string;
}

export interface Authorizer {
  /** `operation` is an AclOperation code (READ 3, WRITE 4, CREATE 5, ...). */
  authorize(principal: string, host: string, operation: number, resource: Resource): boolean;
}

/** One SASL authentication in progress on one connection. */
export interface SaslExchange {
  /**
   * Takes the client's next token and returns the server's answer; `principal` is set once the
   * client is authenticated. Throw to fail the authentication (the message goes to the client,
   * so it must not contain secrets).
   */
  step(token: Buffer): { response: Buffer; principal?: string; sessionLifetimeMs?: number };
}

/** One ACL, as the ACL messages carry it (codes from acl-types.ts). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}
/** A DescribeAcls/DeleteAcls filter: null and ANY (1) match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}
/** Where ACLs live; results are per binding/filter, with Kafka error codes. */
export interface AclStore {
  describe(filter: AclFilter): AclBinding[];
  create(bindings: AclBinding[]): Array<{ errorCode: number; errorMessage: string | null }>;
  delete(filters: AclFilter[]): Array<{ errorCode: number; errorMessage: string | null; deleted: AclBinding[] }>;
}

export interface Security extends Service {
  /** SASL mechanisms this broker accepts; empty = SASL is off (plaintext listener). */
  readonly saslMechanisms: readonly string[];
  /** When set, only ApiVersions and the SASL requests are served before authentication. */
  readonly requireAuthentication: boolean;
  startSasl(mechanism: string, connection: { host: string; port: number }): SaslExchange;
  readonly authorizer: Authorizer;
  /** The ACLs behind the authorizer; absent = no authorizer configured (ACL APIs answer 54 SECURITY_DISABLED). */
  readonly acls?: AclStore;
}

export const ALLOW_EVERYTHING: Authorizer = { authorize: () => true };

const plaintext: Security = {
  saslMechanisms: [],
  requireAuthentication: false,
  startSasl: (mechanism) => {
    throw new Error(`SASL mechanism ${mechanism} is not enabled`);
  },
  authorizer: ALLOW_EVERYTHING,
};

registerService(SECURITY_SERVICE, () => plaintext);

export function securityOf(broker: BrokerState): Security {
  return broker.service<Security>(SECURITY_SERVICE);
}

/**
 * Kafka's authorized-operations bit field (bit n = AclOperation n) for one resource, as
 * DescribeCluster / Metadata / DescribeGroups answer it when asked.
 */
export function authorizedOperations(authorize: (operation: number) => boolean, operations: readonly number[]): number {
  let bits = 0;
  for (const op of operations) if (authorize(op)) bits |= 1 << op;
  return bits;
}

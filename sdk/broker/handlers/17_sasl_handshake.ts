/**
 * SaslHandshake (17), v0-1.
 * Behavior:
 * - Picks the SASL mechanism for this connection from the security service's list (see
 *   sdk/broker/security.ts). With no mechanism enabled (the default plaintext broker) the answer
 *   is 34 ILLEGAL_SASL_STATE, as a Kafka PLAINTEXT listener gives; an unknown mechanism gets
 *   33 UNSUPPORTED_SASL_MECHANISM with the enabled list; a second handshake on an authenticated
 *   connection gets 34, unless its session has a lifetime (`sasl.sessionLifetimeMs`): then a v1
 *   handshake starts a re-authentication (KIP-368), which must name the same principal.
 * Version notes:
 * - v0 is followed by bare SASL tokens (the server switches the connection to raw framing);
 *   v1 by SaslAuthenticate requests (KIP-152).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/messages/sasl-handshake';
import { securityOf } from '../security';

registerApi({
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx) => {
    const security = securityOf(ctx.broker);
    const mechanisms = [...security.saslMechanisms];
    const conn = ctx.connection;
    // An authenticated connection may hand-shake again only to re-authenticate (KIP-368), when sessions expire.
    const reauthenticating = conn.authenticated && conn.sessionExpiresAt !== undefined && ctx.header.apiVersion >= 1;
    if (mechanisms.length === 0 || (conn.authenticated && !reauthenticating)) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (!mechanisms.includes(req.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    conn.sasl = { mechanism: req.mechanism, exchange: security.startSasl(req.mechanism, conn), raw: ctx.header.apiVersion === 0 };
    return { errorCode: 0, mechanisms };
  },
});

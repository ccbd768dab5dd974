/**
 * SaslHandshake (17), v0-1.
 * Behavior:
 * - Picks the SASL mechanism for this connection from the security service's list (see
 *   sdk/broker/security.ts). With no mechanism enabled (the default plaintext broker) the answer
 *   is 34 ILLEGAL_SASL_STATE, as a Kafka PLAINTEXT listener gives; an unknown mechanism gets
 *   33 UNSUPPORTED_SASL_MECHANISM with the enabled list; a second handshake on an authenticated
 *   connection gets 34.
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
    if (mechanisms.length === 0 || conn.authenticated) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (!mechanisms.includes(req.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    conn.sasl = { mechanism: req.mechanism, exchange: security.startSasl(req.mechanism, conn), raw: ctx.header.apiVersion === 0 };
    return { errorCode: 0, mechanisms };
  },
});

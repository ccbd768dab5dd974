/**
 * SaslAuthenticate (36), v0-2.
 * Behavior:
 * - Feeds the client's token to the SASL exchange the handshake started and answers the
 *   server's token; when the exchange names a principal the connection is authenticated as it.
 * - Without a handshake first: 34 ILLEGAL_SASL_STATE. A failed authentication: 58
 *   SASL_AUTHENTICATION_FAILED with the exchange's message, then the connection is closed, as
 *   Kafka does.
 * Version notes:
 * - v1+ answer the session lifetime (0 = no re-authentication required).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../protocol/messages/sasl-authenticate';

const NONE = Buffer.alloc(0);

registerApi({
  request: SaslAuthenticateRequest,
  response: SaslAuthenticateResponse,
  minVersion: 0,
  maxVersion: 2,
  handle: (req, ctx) => {
    const conn = ctx.connection;
    if (!conn.sasl || conn.sasl.raw) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate needs a SaslHandshake v1 first', authBytes: NONE };
    }
    const { mechanism } = conn.sasl;
    try {
      const step = conn.sasl.exchange.step(req.authBytes);
      if (step.principal !== undefined) {
        // KIP-368: re-authentication may not change who the connection is.
        if (conn.authenticated && step.principal !== conn.principal) throw new Error('re-authentication must keep the same principal');
        const again = conn.authenticated;
        conn.principal = step.principal;
        conn.authenticated = true;
        conn.sessionExpiresAt = step.sessionLifetimeMs ? Date.now() + step.sessionLifetimeMs : undefined;
        conn.sasl = null;
        ctx.logger.info(again ? 're-authenticated' : 'authenticated', { principal: step.principal, mechanism, client: conn.clientId });
      }
      return { errorCode: 0, errorMessage: null, authBytes: step.response, sessionLifetimeMs: step.sessionLifetimeMs ?? 0 };
    } catch (err) {
      ctx.logger.info('SASL authentication failed', { mechanism, client: conn.clientId, peer: `${conn.host}:${conn.port}` });
      ctx.closeAfterResponse('SASL authentication failed');
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: (err as Error).message, authBytes: NONE };
    }
  },
});

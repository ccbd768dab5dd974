/**
 * SaslAuthenticate (key 36), versions 0-2, flexible from 2.
 * Version notes: v1 answers the session lifetime (KIP-368 re-authentication).
 */
import { bytes, int16, int64, message, string, type Out } from '../schema';

export const SaslAuthenticateRequest = message({ name: 'SaslAuthenticateRequest', apiKey: 36, versions: '0-2', flexible: '2+' }, {
  authBytes: bytes(),
});
export type SaslAuthenticateRequest = Out<typeof SaslAuthenticateRequest>;

export const SaslAuthenticateResponse = message({ name: 'SaslAuthenticateResponse', apiKey: 36, versions: '0-2', flexible: '2+' }, {
  errorCode: int16(),
  errorMessage: string('0+', { nullable: '0+' }),
  authBytes: bytes(),
  sessionLifetimeMs: int64('1+', { default: 0 }),
});
export type SaslAuthenticateResponse = Out<typeof SaslAuthenticateResponse>;

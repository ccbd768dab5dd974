/**
 * SaslHandshake (key 17), versions 0-1, not flexible.
 * Version notes: v0 is followed by raw SASL tokens (no Kafka framing); v1 by SaslAuthenticate
 * requests (KIP-152).
 */
import { array, int16, message, string, types, type Out } from '../schema';

export const SaslHandshakeRequest = message({ name: 'SaslHandshakeRequest', apiKey: 17, versions: '0-1', flexible: 'none' }, {
  mechanism: string(),
});
export type SaslHandshakeRequest = Out<typeof SaslHandshakeRequest>;

export const SaslHandshakeResponse = message({ name: 'SaslHandshakeResponse', apiKey: 17, versions: '0-1', flexible: 'none' }, {
  errorCode: int16(),
  mechanisms: array(types.string),
});
export type SaslHandshakeResponse = Out<typeof SaslHandshakeResponse>;

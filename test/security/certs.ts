/** The throwaway CA and certificates of bench/tls-certs.ts, and the skip reason when openssl is missing. */
import { missingCommand } from '../helpers/skip';

export { makeCerts, type Certs } from '../../bench/tls-certs';

export function missingOpenssl(): string | undefined {
  return missingCommand('openssl', 'apt-get install openssl', ['version']);
}

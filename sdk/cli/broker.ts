/**
 * `kafkalab broker`: runs the embedded Kafka-compatible broker in the foreground.
 * Prints exactly one line on stdout once it accepts connections; logs go to stderr.
 */
import type { Command } from './main';
import { parseFlags } from './args';
import { untilStopSignal } from './signals';
import { consoleLogger, type LogLevel } from '../util/log';
import { startBroker } from '../broker';
import { startSchemaRegistry } from '../registry';
import { parseDuration } from '../util/duration';
import { KafkalabError } from '../util/errors';
import { readSaslUsersFile } from '../broker/secure';
import type { SaslMechanism } from '../broker/sasl';
import * as fs from 'fs';

const spec = {
  port: { type: 'number', default: 9092 },
  host: { type: 'string', default: '127.0.0.1' },
  dataDir: { type: 'string', default: '.kafkalab/data' },
  partitions: { type: 'number', default: 1 },
  autoCreateTopics: { type: 'boolean', default: true },
  advertisedHost: { type: 'string' },
  maxFrameBytes: { type: 'number' },
  retention: { type: 'string' },
  segmentBytes: { type: 'number' },
  cleanerInterval: { type: 'string' },
  queuedMaxRequestBytes: { type: 'number' },
  frameTimeout: { type: 'string' },
  logLevel: { type: 'string', default: 'warn' },
  schemaRegistryPort: { type: 'number' },
  tlsKey: { type: 'string' },
  tlsCert: { type: 'string' },
  tlsCa: { type: 'string' },
  tlsClientAuth: { type: 'boolean', default: false },
  saslUsers: { type: 'string' },
  saslMechanisms: { type: 'string' },
  superUsers: { type: 'string' },
} as const;

export const command: Command = {
  summary: 'run the embedded Kafka-compatible broker',
  usage: `Usage: kafkalab broker [options]

Runs a single-node Kafka-compatible broker that any Kafka client can use
(kafkajs, librdkafka/kcat/confluent-kafka, kafka-python).

Options:
  --port N                 TCP port (default 9092; 0 = any free port)
  --host HOST              interface to listen on (default 127.0.0.1)
  --data-dir DIR           log segments and committed offsets (default .kafkalab/data)
  --partitions N           partitions of auto-created topics (default 1)
  --no-auto-create-topics  refuse unknown topics instead of creating them
  --advertised-host HOST   host name given to clients in metadata (default: --host)
  --max-frame-bytes N      largest request accepted (default 104857600)
  --retention DURATION     default retention by time, e.g. 7d, 12h, or -1 to keep forever (default 7d)
  --segment-bytes N        roll log segments past this size (default 64 MiB)
  --cleaner-interval DURATION  how often compacted topics are checked for cleaning, e.g. 15s (default 15s; 0 = never)
  --queued-max-request-bytes N  bytes of requests all connections together may hold; reading pauses beyond (default 2 x --max-frame-bytes)
  --frame-timeout DURATION a request frame must arrive whole within this long, else its connection closes (default 60s)
  --log-level LEVEL        debug, info, warn or error, on stderr (default warn)
  --tls-key FILE --tls-cert FILE  listen with TLS (PEM key and certificate); SSL or SASL_SSL
  --tls-ca FILE            CA for client certificates; with --tls-client-auth they are required
                           and name the principal when SASL is off (User:CN=...)
  --sasl-users FILE        require SASL: JSON {"alice": "password", ...} or stored SCRAM
                           credentials {"alice": {"SCRAM-SHA-256": {salt, iterations, storedKey, serverKey}}}
  --sasl-mechanisms LIST   enabled mechanisms (default PLAIN,SCRAM-SHA-256,SCRAM-SHA-512)
  --super-users LIST       principals allowed everything, e.g. User:admin (ACLs are on with SASL)
  --schema-registry-port N also run a Schema Registry (Confluent's REST API) on this port,
                           schemas kept in the _schemas topic (0 = any free port)

Prints "kafkalab broker listening on HOST:PORT" when ready (then, with --schema-registry-port,
"kafkalab schema registry listening on http://HOST:PORT"); Ctrl-C (SIGINT) or SIGTERM stops it cleanly.`,
  async run(argv) {
    const f = parseFlags(argv, spec, 'broker');
    const level = (['debug', 'info', 'warn', 'error'].includes(f.logLevel) ? f.logLevel : 'warn') as LogLevel;
    const log: Record<string, number> = {};
    if (f.retention !== undefined) log.retentionMs = f.retention === '-1' ? -1 : parseDuration(f.retention);
    if (f.segmentBytes !== undefined) log.segmentBytes = f.segmentBytes;
    const readPem = (file: string, flag: string) => {
      try {
        return fs.readFileSync(file);
      } catch (err) {
        throw new KafkalabError(`cannot read ${flag} ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { code: 'BAD_OPTION' });
      }
    };
    if (Boolean(f.tlsKey) !== Boolean(f.tlsCert)) throw new KafkalabError('--tls-key and --tls-cert go together', { code: 'BAD_OPTION' });
    const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);
    const broker = await startBroker({
      tls: f.tlsKey
        ? { key: readPem(f.tlsKey, '--tls-key'), cert: readPem(f.tlsCert, '--tls-cert'), ca: f.tlsCa ? readPem(f.tlsCa, '--tls-ca') : undefined, requestCert: f.tlsClientAuth }
        : undefined,
      sasl: f.saslUsers ? { users: readSaslUsersFile(f.saslUsers), mechanisms: list(f.saslMechanisms) as SaslMechanism[] | undefined } : undefined,
      acls: f.superUsers ? { superUsers: list(f.superUsers) } : undefined,
      port: f.port,
      host: f.host,
      dataDir: f.dataDir,
      partitions: f.partitions,
      autoCreateTopics: f.autoCreateTopics,
      advertisedHost: f.advertisedHost,
      maxFrameBytes: f.maxFrameBytes,
      memory: {
        queuedMaxRequestBytes: f.queuedMaxRequestBytes,
        frameTimeoutMs: f.frameTimeout === undefined ? undefined : parseDuration(f.frameTimeout, '--frame-timeout'),
      },
      cleanerIntervalMs: f.cleanerInterval === undefined ? undefined : f.cleanerInterval === '0' ? 0 : parseDuration(f.cleanerInterval, '--cleaner-interval'),
      log,
      logger: consoleLogger({ level, namespace: 'broker' }),
    });
    const protocol = f.tlsKey ? (f.saslUsers ? 'SASL_SSL' : 'SSL') : f.saslUsers ? 'SASL_PLAINTEXT' : undefined;
    process.stdout.write(`kafkalab broker listening on ${broker.host}:${broker.port}${protocol ? ` (${protocol})` : ''}\n`);
    const registry =
      f.schemaRegistryPort === undefined
        ? undefined
        : await startSchemaRegistry({ brokers: broker.bootstrap, port: f.schemaRegistryPort, host: f.host, logger: consoleLogger({ level, namespace: 'schema-registry' }) }).catch(async (e) => {
            await broker.stop();
            throw e;
          });
    if (registry) process.stdout.write(`kafkalab schema registry listening on ${registry.url}\n`);
    await untilStopSignal();
    await registry?.stop();
    await broker.stop();
    return 0;
  },
};

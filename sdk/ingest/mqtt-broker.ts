/**
 * startMqttBroker(): an embedded MQTT broker (aedes) for the demo and for tests that do not
 * need Mosquitto. In-memory only: sessions and queued messages do not survive stop().
 */
import * as net from 'net';
import { KafkalabError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/log';

export interface MqttBrokerOptions {
  /** TCP port; 0 = ephemeral (default 1883). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  logger?: Logger;
}

export interface MqttBroker {
  /** 'mqtt://127.0.0.1:PORT' */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Connected MQTT clients. */
  readonly clients: number;
  stop(): Promise<void>;
}

export async function startMqttBroker(opts: MqttBrokerOptions = {}): Promise<MqttBroker> {
  const logger = opts.logger ?? defaultLogger('mqtt-broker');
  const host = opts.host ?? '127.0.0.1';
  // aedes 0.51 is CommonJS without bundled types we rely on; keep the surface we use narrow.
  const createAedes = require('aedes') as (o: Record<string, unknown>) => AedesLike;
  const aedes = createAedes({ maxClientsIdLength: 256, concurrency: 1000 });
  aedes.on('clientError', (client: { id: string }, err: Error) => logger.debug('client error', { client: client?.id, error: err.message }));
  const server = net.createServer(aedes.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new KafkalabError(`Port ${opts.port ?? 1883} on ${host} is in use`, { code: 'PORT_IN_USE', hint: 'an MQTT broker (Mosquitto?) may already run there: use it with --mqtt mqtt://host:port, or pick another port (0 = any free one)' })
          : err,
      ),
    );
    server.listen(opts.port ?? 1883, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  logger.info('MQTT broker listening', { host, port });
  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    get clients() {
      return aedes.connectedClients;
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        aedes.close();
      })),
  };
}

interface AedesLike {
  handle: (socket: net.Socket) => void;
  connectedClients: number;
  on(event: string, fn: (...args: any[]) => void): void;
  close(cb?: () => void): void;
}

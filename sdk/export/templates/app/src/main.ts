/**
 * Entry point: configuration, model, HTTP endpoints, then the streaming loop until SIGTERM or
 * SIGINT, which drain the in-flight batch, commit it and leave the consumer group.
 */
import { Scorer, type BackendName } from '@kafkalab/runtime';
import { startApp, type RunningApp } from './app';
import { ConfigError, describeConfig, loadConfig } from './config';
import { defaults } from './defaults';
import { startHttp } from './http';
import { jsonLogger, type Logger } from './log';
import { Metrics } from './metrics';

async function main(): Promise<void> {
  let log: Logger = jsonLogger('info');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error('invalid configuration', { problems: err.problems });
      process.exit(2);
    }
    throw err;
  }
  log = jsonLogger(config.logLevel);
  log.info('starting', { app: defaults.appName, exportedBy: `kafkalab ${defaults.kafkalabVersion}`, exportedAt: defaults.exportedAt, config: describeConfig(config) });

  const metrics = new Metrics();
  let app: RunningApp | undefined;
  let scorer: Scorer | undefined;
  let stopping = false;
  const http = await startHttp(config.port, metrics, {
    ready: () => !stopping && scorer !== undefined && app !== undefined && app.joined(),
    details: () => ({ modelLoaded: scorer !== undefined, joined: app?.joined() ?? false, stopping, assignment: app?.assignment() ?? {} }),
  });
  log.info('http listening', { port: http.port, endpoints: ['/healthz', '/metrics'] });

  const shutdown = async (reason: string, code: number): Promise<never> => {
    if (stopping) return new Promise<never>(() => {});
    stopping = true;
    metrics.ready.set(0);
    log.info('shutting down', { reason });
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting without a clean group leave');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app?.stop();
    } catch (err) {
      log.error('error while stopping the consumer', { error: err });
      code = code || 1;
    }
    await http.close();
    log.info('stopped', { code });
    process.exit(code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  scorer = await Scorer.load(config.modelDir, { threshold: config.threshold, backend: (process.env.TFJS_BACKEND || undefined) as BackendName | undefined });
  log.info('model loaded', { backend: scorer.backend, features: scorer.spec.features, threshold: scorer.threshold, modelDir: config.modelDir });
  metrics.info.set(1, { backend: scorer.backend, features: scorer.width, input_topic: config.inputTopic, output_topic: config.outputTopic, group: config.groupId });

  app = await startApp(config, scorer, metrics, log);
  metrics.ready.set(1);
  const error = await app.crashed;
  log.error('consumer stopped after a fatal error', { error });
  await shutdown('consumer crash', 1);
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fatal', error: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }) + '\n');
  process.exit(1);
});

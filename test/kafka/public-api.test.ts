/**
 * The forced fallback: kafkajs's internals switched off (KAFKALAB_KAFKAJS_INTERNALS=off, as when
 * the adapter's self-check fails), then the same read, catalog, stream, replay, MQTT bridge and
 * app-producer tests (3-node broker included) as always, which must pass through kafkajs's public API alone
 * (a consumer in a throwaway group, the admin client, producer.send). The producer tests assert
 * that the kafkajs encoder was the one used.
 */
process.env.KAFKALAB_KAFKAJS_INTERNALS = 'off';
/* eslint-disable @typescript-eslint/no-require-imports */
require('./read.test');
require('./connect-catalog.test');
require('../stream/kafka.test');
require('../stream/replay-target.test');
require('../ingest/produce.test');
require('../ingest/dead-letter.test');
require('../export/producer.test');
require('../export/cluster.test'); // the 3-node broker: leader moves, outages, exactly-once by kafkajs's transactional producer

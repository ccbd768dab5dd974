/**
 * IncrementalAlterConfigs (44), v0-1.
 * Behavior:
 * - Changes single topic configs: SET (0), DELETE (1, back to the default), APPEND (2) and
 *   SUBTRACT (3) on list configs such as cleanup.policy, all or nothing per topic (storage's
 *   rules: 40 for unknown names, bad values or APPEND on a non-list; 42 for a name twice or an
 *   unknown operation). validate_only checks and changes nothing. Unknown topic: 3.
 * - This broker's configs cannot change at run time: 42 naming them.
 * - Needs ALTER_CONFIGS on the topic / the cluster (29 / 31 otherwise).
 */
import { registerApi } from '../registry';
import { brokerConfigsReadOnly } from '../broker-configs';
import { configResource, perResource } from '../config-resources';
import { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs';

registerApi({
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
  minVersion: 0,
  maxVersion: 1,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    responses: req.resources.map(({ resourceType, resourceName, configs }) =>
      perResource<IncrementalAlterConfigsResponse['responses'][number]>(
        () => {
          const resource = configResource(ctx, resourceType, resourceName, true);
          if (resource.kind === 'broker') {
            if (configs.length) throw brokerConfigsReadOnly(configs.map((c) => c.name));
          } else {
            const ops = configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
            ctx.broker.logs.incrementalAlterTopicConfigs(resource.name, ops, req.validateOnly);
            if (!req.validateOnly) ctx.logger.info('altered topic configs', { topic: resource.name, configs: ops.map((o) => o.name) });
          }
          return { errorCode: 0, errorMessage: null, resourceType, resourceName };
        },
        (errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType, resourceName }),
      ),
    ),
  }),
});

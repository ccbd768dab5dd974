/**
 * AlterConfigs (33), v0-2.
 * Behavior:
 * - Replaces all of a topic's config overrides with the given set (configs left out return to
 *   their defaults), validated by storage all or nothing: unknown names and bad values 40, a
 *   null value 42. validate_only checks and changes nothing. Unknown topic: 3.
 * - This broker's configs cannot change at run time: 42 naming them (restart with new options).
 * - Needs ALTER_CONFIGS on the topic / the cluster (29 / 31 otherwise).
 */
import { registerApi } from '../registry';
import { brokerConfigsReadOnly } from '../broker-configs';
import { configResource, perResource } from '../config-resources';
import { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/messages/alter-configs';

registerApi({
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  minVersion: 0,
  maxVersion: 2,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    responses: req.resources.map(({ resourceType, resourceName, configs }) =>
      perResource<AlterConfigsResponse['responses'][number]>(
        () => {
          const resource = configResource(ctx, resourceType, resourceName, true);
          const wanted: Record<string, string | null> = {};
          for (const c of configs) wanted[c.name] = c.value;
          if (resource.kind === 'broker') {
            if (configs.length) throw brokerConfigsReadOnly(configs.map((c) => c.name));
          } else if (req.validateOnly) {
            ctx.broker.logs.validateTopicConfigs(wanted);
          } else {
            ctx.broker.logs.setTopicConfigs(resource.name, wanted);
            ctx.logger.info('altered topic configs', { topic: resource.name, configs: Object.keys(wanted) });
          }
          return { errorCode: 0, errorMessage: null, resourceType, resourceName };
        },
        (errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType, resourceName }),
      ),
    ),
  }),
});

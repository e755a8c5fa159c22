import type { EnvironmentConfig } from '../config/schema.js';
import type { JsonPath } from '../core/json-path.js';
import type { ArmTemplate } from './arm-types.js';
import { renderAiServices } from './ai-services.js';
import { TemplateBuilder, originKey, type RenderOptions } from './builder.js';
import { renderEdge } from './edge.js';
import { renderDefenderTemplate, renderOperations, type SubscriptionTemplate } from './operations.js';
import { renderCosmos, renderKeyVault, renderLegacyRedis, renderManagedRedis, renderSql, renderStorage } from './data-services.js';
import {
  renderContainerApp,
  renderContainerAppsEnvironment,
  renderIdentity,
  renderLogAnalytics,
  renderPrivateEndpoints,
  renderRegistry,
  renderVirtualNetwork,
} from './platform.js';

export { resourceIdExpression, type LiveContainerApp, type RenderOptions } from './builder.js';

/**
 * Config -> one ARM deployment template. Pure: the same config always renders the same template
 * (role assignment names are `guid(...)` expressions of fixed inputs, so redeploys are idempotent).
 *
 * Resource bodies are typed with the Azure SDK models (type-only imports) and validated at run
 * time against the official ARM schemas in the tests. Where an SDK model lags the api-version used
 * here, or its client-side names differ from the wire names, the type says so at the spot. Each
 * resource's api-version comes from the type registry (src/azure/resource-types.ts).
 */

export interface RenderedEnvironment {
  template: ArmTemplate;
  /** What deploys at subscription scope, in a deployment of its own (Defender for Cloud's plans); absent when the config turns it off. */
  subscriptionTemplate?: SubscriptionTemplate;
  /** The config path that produced a resource (e.g. `['keyVault']`), by its type and name as rendered; for locating findings in the config file. */
  configPathOf(type: string, name: string): JsonPath | undefined;
}

export function renderTemplate(config: EnvironmentConfig, options: RenderOptions = {}): ArmTemplate {
  return renderEnvironment(config, options).template;
}

export function renderEnvironment(config: EnvironmentConfig, options: RenderOptions = {}): RenderedEnvironment {
  const builder = new TemplateBuilder(config, options);
  renderIdentity(builder);
  renderLogAnalytics(builder);
  if (builder.privateNetwork) renderVirtualNetwork(builder);
  renderKeyVault(builder);
  renderCosmos(builder);
  renderSql(builder);
  if (config.redis.kind === 'managed') renderManagedRedis(builder);
  else renderLegacyRedis(builder);
  renderStorage(builder);
  renderAiServices(builder);
  renderRegistry(builder);
  if (builder.privateNetwork) renderPrivateEndpoints(builder);
  renderContainerAppsEnvironment(builder);
  renderContainerApp(builder);
  renderEdge(builder);
  renderOperations(builder);
  const subscriptionTemplate = renderDefenderTemplate(config.operations);
  return {
    template: builder.template(),
    ...(subscriptionTemplate ? { subscriptionTemplate } : {}),
    configPathOf: (type, name) =>
      builder.origins.get(originKey(type, name)) ??
      (/^microsoft\.security\/pricings$/i.test(type) ? ['operations', 'defender'] : undefined),
  };
}

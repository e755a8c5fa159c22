import { ConfigurationError } from '../core/errors.js';

/** The subscription: the given one, else AZURE_SUBSCRIPTION_ID as azure/login leaves it. `what` names the option (`Input "subscription-id"`, `--subscription`). */
export function subscriptionOf(given: string | undefined, env: NodeJS.ProcessEnv, what: string): string {
  const subscriptionId = given ?? env['AZURE_SUBSCRIPTION_ID'];
  if (!subscriptionId)
    throw new ConfigurationError(
      `No Azure subscription: set ${what}, or run azure/login with subscription-id so AZURE_SUBSCRIPTION_ID is set.`,
    );
  return subscriptionId;
}

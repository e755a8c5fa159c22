import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { CommonClientOptions } from '@azure/core-client';
import { ConfigurationError } from '../errors.js';

/**
 * The credential every Azure client uses: DefaultAzureCredential, so the actions work after
 * azure/login (OIDC) and the CLI after `az login`.
 */
export function azureCredential(env: NodeJS.ProcessEnv): TokenCredential {
  rejectUnsupportedSandbox(env);
  return new DefaultAzureCredential();
}

/** Client options for any Azure SDK client; empty against real Azure. */
export function azureClientOptions(env: NodeJS.ProcessEnv): CommonClientOptions {
  rejectUnsupportedSandbox(env);
  return {};
}

function rejectUnsupportedSandbox(env: NodeJS.ProcessEnv): void {
  if (env['AZURE_HIPAA_SANDBOX']) {
    throw new ConfigurationError('AZURE_HIPAA_SANDBOX is set, but this build has no local sandbox yet. Unset it to talk to real Azure.');
  }
}

import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { ConfigurationError } from '../../core/errors.js';
import { signedSmoke } from '../../deploy/signed-smoke.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa smoke-webhook --url https://<app>/voice --allowed-host <app> [--vault <name or URL>] [--config <file>]

Sends the production voice webhook one call as Twilio would, signed with the account's auth token
(X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted POST parameters, base64), and needs a
2xx answer: the cutover's proof that the app checks Twilio's signature at its public address (behind
Front Door, against the URL rebuilt from X-Forwarded-Host). TwilioAccountSid and TwilioAuthToken
are read from the vault, masked and kept in memory; neither is printed.

Exit status: 0 accepted, 1 refused or failed, 2 bad input or missing access.`;

export const smokeWebhookCommand: Command = {
  name: 'smoke-webhook',
  summary: 'send the production voice webhook a correctly signed Twilio request',
  usage,
  async run({ args, stdout, logger, env, cwd }) {
    let values;
    try {
      values = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          url: { type: 'string' },
          'allowed-host': { type: 'string', multiple: true },
          vault: { type: 'string' },
          config: { type: 'string' },
        },
      }).values;
    } catch (error) {
      throw new ConfigurationError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    }
    if (!values.url) throw new ConfigurationError(`--url is required.\n\n${usage}`);
    const vault = values.vault ?? (await loadConfig(values.config, { cwd })).config.keyVault.name;
    const result = await signedSmoke({ url: values.url, allowedHosts: values['allowed-host'] ?? [], vault, env, logger });
    stdout(`${values.url} accepted a signed Twilio request (${result.status}).\n`);
    return 0;
  },
};

import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { ConfigurationError } from '../../core/errors.js';
import { communicationServicesAdvice, switchTwilioWebhook } from '../../deploy/webhook.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa switch-webhook --phone-number <E.164 or PN sid> --url https://<app>/voice --allowed-host <app> [options]

Points the phone number's voice webhook at the production app (the cutover's last step). The
Twilio account SID and auth token are read from the production Key Vault (TwilioAccountSid,
TwilioAuthToken), masked and kept in memory. VoiceUrl becomes --url and VoiceFallbackUrl the old
address (or --fallback-url), so calls still land if the new app falls over; both are read back to
verify. The previous values are printed with the command that undoes the switch.

--url must be https on port 443, on a host given with --allowed-host, with a plain path (no
user name, query, fragment, backslash or . and .. segments). The fallback must be https: when the
number's current address is plain http, pass --fallback-url.

Options:
  --allowed-host <host>       a host --url may name: the production app's FQDN (the deploy's fqdn
                              output); repeat it for a front door or custom domain that serves the app
  --fallback-url <url>        production's fallback instead of the number's current address (https)
  --provider <twilio|acs>     twilio (default); acs prints the one Event Grid change to make instead
  --vault <name or URL>       the production vault (default: the config's keyVault.name)
  --config <file>             the environment config (default azure-hipaa.yml, else the built-in defaults)
  --revert                    set --previous-url (and --previous-fallback-url) back instead
  --previous-url <url>        with --revert: the voice URL to restore ('' for none)
  --previous-fallback-url <url>  with --revert: the fallback URL to restore (default none)
  --format <text|json>        output format (default text)

Exit status: 0 switched (or advice printed), 1 Twilio kept another value, 2 bad input or missing access.`;

/** One argument for a POSIX shell, single-quoted: nothing inside is expanded (a ' is closed, escaped and reopened). */
export function shellQuote(argument: string): string {
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

export const switchWebhookCommand: Command = {
  name: 'switch-webhook',
  summary: "point the phone number's voice webhook at the production app (Twilio), undoable",
  usage,
  async run({ args, stdout, logger, env, cwd }) {
    let values;
    try {
      values = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          provider: { type: 'string', default: 'twilio' },
          'phone-number': { type: 'string' },
          url: { type: 'string' },
          'allowed-host': { type: 'string', multiple: true },
          'fallback-url': { type: 'string' },
          vault: { type: 'string' },
          config: { type: 'string' },
          revert: { type: 'boolean', default: false },
          'previous-url': { type: 'string' },
          'previous-fallback-url': { type: 'string' },
          format: { type: 'string', default: 'text' },
        },
      }).values;
    } catch (error) {
      throw new ConfigurationError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    }
    if (values.provider === 'acs') {
      stdout(`${communicationServicesAdvice(values.url ?? '<the production app>/voice')}\n`);
      return 0;
    }
    if (values.provider !== 'twilio') throw new ConfigurationError(`--provider must be twilio or acs; got '${values.provider}'.`);
    if (values.format !== 'text' && values.format !== 'json')
      throw new ConfigurationError(`--format must be text or json; got '${values.format}'.`);
    if (!values['phone-number']) throw new ConfigurationError(`--phone-number is required.\n\n${usage}`);
    // An empty --previous-url restores a number that had no voice URL.
    if (values.revert && values['previous-url'] === undefined)
      throw new ConfigurationError('--revert needs --previous-url (printed when the switch was made).');
    if (!values.revert && !values.url) throw new ConfigurationError(`--url is required.\n\n${usage}`);
    const vault = values.vault ?? (await loadConfig(values.config, { cwd })).config.keyVault.name;
    const result = await switchTwilioWebhook({
      phoneNumber: values['phone-number'],
      vault,
      ...(values.revert
        ? { revert: { voiceUrl: values['previous-url'] as string, fallbackUrl: values['previous-fallback-url'] ?? null } }
        : {
            url: values.url as string,
            allowedHosts: values['allowed-host'] ?? [],
            ...(values['fallback-url'] !== undefined ? { fallbackUrl: values['fallback-url'] } : {}),
          }),
      env,
      logger,
    });
    if (values.format === 'json') {
      stdout(`${JSON.stringify(result)}\n`);
      return 0;
    }
    // Each value quoted, so the printed command runs as printed whatever the addresses hold (`&`, `$`, `'`).
    const undo = `azure-hipaa switch-webhook --phone-number ${shellQuote(result.phoneNumber)} --vault ${shellQuote(vault)} --revert --previous-url ${shellQuote(result.previous.voiceUrl)}${result.previous.fallbackUrl ? ` --previous-fallback-url ${shellQuote(result.previous.fallbackUrl)}` : ''}`;
    stdout(
      [
        `${result.phoneNumber} (${result.numberSid}): voice webhook ${values.revert ? 'restored' : 'switched'} and read back.`,
        `  now:      VoiceUrl ${result.now.voiceUrl}, VoiceFallbackUrl ${result.now.fallbackUrl ?? 'none'}`,
        `  previous: VoiceUrl ${result.previous.voiceUrl}, VoiceFallbackUrl ${result.previous.fallbackUrl ?? 'none'}`,
        ...(values.revert ? [] : [`  undo with: ${undo}`]),
        '',
      ].join('\n'),
    );
    return 0;
  },
};

/**
 * The cutover's last switch: the phone number's voice webhook moved to the production app. With
 * Twilio: the account's credentials read from the production Key Vault (masked, kept in memory),
 * the number's current URLs read, `VoiceUrl` set to the new address (on the production app's host
 * only) and `VoiceFallbackUrl` to the old one, https only (calls still land if the new app falls
 * over), then read back to verify. The previous values are returned so the switch can be undone.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelineResponse } from '@azure/core-rest-pipeline';
import { azureHttpClient } from '../azure/credential.js';
import { openKeyVault, resolveVaultReference } from '../azure/keyvault.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface WebhookUrls {
  voiceUrl: string;
  fallbackUrl: string | null;
}

interface WebhookRequestBase {
  /** An E.164 number (`+15551234567`) or the number's SID (`PN...`). */
  phoneNumber: string;
  /** The production vault holding TwilioAccountSid and TwilioAuthToken. */
  vault: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** A switch to production, or the undo of one (`revert`: the URLs to set back, as the switch printed them). */
export type WebhookSwitchRequest = WebhookRequestBase &
  (
    | {
        /** The production app's voice endpoint, e.g. `https://voice-agent.<domain>/voice`. */
        url: string;
        /** The hosts `url` may name: the production app's FQDN, and a front door or custom domain that serves it. */
        allowedHosts: readonly string[];
        /** Production's fallback, instead of the number's current address (which must be https to become it). */
        fallbackUrl?: string;
        revert?: undefined;
      }
    | { revert: WebhookUrls }
  );

export interface WebhookSwitchResult {
  numberSid: string;
  phoneNumber: string;
  previous: WebhookUrls;
  now: WebhookUrls;
}

const TWILIO = 'https://api.twilio.com/2010-04-01';

/** What a team on Azure Communication Services changes instead: there is no number to update, only an Event Grid subscription. */
export function communicationServicesAdvice(url: string): string {
  return [
    'Azure Communication Services routes incoming calls through Event Grid, not a number setting. Point the',
    'Event Grid subscription for Microsoft.Communication.IncomingCall on the Communication Services resource',
    `at the production app: az eventgrid event-subscription update --name <subscription> --source-resource-id <ACS resource id> --endpoint ${url}`,
  ].join('\n');
}

export async function switchTwilioWebhook(request: WebhookSwitchRequest): Promise<WebhookSwitchResult> {
  if (request.revert) {
    checkRestoredUrl(request.revert.voiceUrl, '--previous-url', request.logger);
    if (request.revert.fallbackUrl !== null) checkRestoredUrl(request.revert.fallbackUrl, '--previous-fallback-url', request.logger);
  } else {
    checkProductionUrl(request.url, request.allowedHosts);
    if (request.fallbackUrl !== undefined) {
      const problem = httpsAddressProblem(request.fallbackUrl);
      if (problem)
        throw new ConfigurationError(
          `--fallback-url must be an https address (Twilio sends it the call's details when production fails): ${problem}; got ${JSON.stringify(request.fallbackUrl)}.`,
        );
    }
  }
  const byNumber = /^\+[1-9]\d{6,14}$/.test(request.phoneNumber);
  if (!byNumber && !/^PN[0-9a-f]{32}$/.test(request.phoneNumber))
    throw new ConfigurationError(
      `--phone-number must be an E.164 number (+15551234567) or the number's SID (PN and 32 hex digits); got "${request.phoneNumber}".`,
    );

  const vault = openKeyVault(resolveVaultReference(request.vault, '--vault'), request.env);
  const [sid, token] = await Promise.all([vault.getSecret('TwilioAccountSid'), vault.getSecret('TwilioAuthToken')]);
  request.logger.mask(sid.value);
  request.logger.mask(token.value);
  if (!sid.value.trim() || !token.value.trim())
    throw new ConfigurationError('TwilioAccountSid or TwilioAuthToken is empty in the production vault: set both.');
  const twilio = new TwilioClient(sid.value, token.value, azureHttpClient(request.env));

  const number = byNumber
    ? (
        (await twilio.json('GET', `/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(request.phoneNumber)}`))
          .incoming_phone_numbers as Record<string, unknown>[] | undefined
      )?.[0]
    : await twilio.json('GET', `/IncomingPhoneNumbers/${request.phoneNumber}.json`, undefined, { notFound: 'undefined' });
  if (!number?.['sid'])
    throw new ConfigurationError(`The Twilio account in TwilioAccountSid has no number ${request.phoneNumber}: check --phone-number.`);
  const numberSid = String(number['sid']);
  const previous = urlsOf(number);
  const wanted: WebhookUrls = request.revert ?? { voiceUrl: request.url, fallbackUrl: fallbackFor(request, previous) };
  await twilio.json('POST', `/IncomingPhoneNumbers/${numberSid}.json`, {
    VoiceUrl: wanted.voiceUrl,
    VoiceFallbackUrl: wanted.fallbackUrl ?? '',
  });
  const now = urlsOf(await twilio.json('GET', `/IncomingPhoneNumbers/${numberSid}.json`));
  if (now.voiceUrl !== wanted.voiceUrl || now.fallbackUrl !== (wanted.fallbackUrl || null))
    throw new Error(`Twilio kept ${now.voiceUrl} for ${request.phoneNumber} after the update: check the number in the Twilio console.`);
  return { numberSid, phoneNumber: String(number['phone_number'] ?? request.phoneNumber), previous, now };
}

/** Whitespace and control characters (C0, DEL, C1): WHATWG's parser strips or rewrites them silently, and they break log lines. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const UNSAFE_CHARACTERS = /[\u0000-\u0020\u007f-\u009f]/;

/**
 * `--url` must reach the production app and nothing else: https on port 443, no user name or
 * password (`https://<app>@attacker.example/` is attacker.example), a host from `allowedHosts`,
 * and a plain path (the cutover appends its voice-path input to the app's FQDN).
 */
export function checkProductionUrl(raw: string, allowedHosts: readonly string[]): void {
  const hosts = allowedHosts.map((host) => host.toLowerCase());
  if (hosts.length === 0)
    throw new ConfigurationError(
      "--allowed-host is required: the production app's host (the deploy's fqdn output), and any front door or custom domain that serves it.",
    );
  for (const host of hosts)
    if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(host))
      throw new ConfigurationError(`--allowed-host must be a host name like voice-agent.<domain>; got ${JSON.stringify(host)}.`);
  const problem = productionUrlProblem(raw, hosts);
  if (problem)
    throw new ConfigurationError(
      `--url must be the production app's https address, like https://${hosts[0]}/voice: ${problem}; got ${JSON.stringify(raw)}.`,
    );
}

function productionUrlProblem(raw: string, hosts: readonly string[]): string | undefined {
  if (UNSAFE_CHARACTERS.test(raw)) return 'it holds whitespace or control characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol !== 'https:') return 'it is not https';
  if (url.username !== '' || url.password !== '') return `it names a user before the host, so its host is ${url.hostname}`;
  if (url.port !== '') return `port ${url.port}: only 443 is allowed`;
  if (!hosts.includes(url.hostname))
    return `its host ${url.hostname} is not the production app's (${hosts.join(', ')}; pass --allowed-host for a front door or custom domain)`;
  // The parser resolves `..`, `\` and encoded host characters silently: the address is judged as written.
  const [, authority = '', path = ''] = /^https:\/\/([^/?#\\]*)(.*)$/is.exec(raw) ?? [];
  if (authority.toLowerCase() !== url.hostname && authority.toLowerCase() !== `${url.hostname}:443`)
    return `its host is written ${JSON.stringify(authority)}, not as ${url.hostname}`;
  return voicePathProblem(path);
}

/** The voice path: `/` then segments, nothing a URL reads as more than a path. */
function voicePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the voice path must start with /';
  if (path.startsWith('//')) return 'the voice path must not start with //';
  if (/[@?#\\]/.test(path)) return 'the voice path must not hold @, ?, # or \\';
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'the voice path must not hold . or .. segments';
  return undefined;
}

function httpsAddressProblem(raw: string): string | undefined {
  if (UNSAFE_CHARACTERS.test(raw)) return 'it holds whitespace or control characters';
  try {
    return new URL(raw).protocol === 'https:' ? undefined : 'it is not https';
  } catch {
    return 'it is not a URL';
  }
}

/**
 * An undo sets back what the number had, wherever that pointed (the old environment is not the
 * production app): any http(s) address, or none for the voice URL. Plain http is what the number
 * had before; it is restored, with a warning.
 */
function checkRestoredUrl(raw: string, input: string, logger: Logger): void {
  if (raw === '' && input === '--previous-url') return;
  let protocol: string | undefined;
  try {
    protocol = UNSAFE_CHARACTERS.test(raw) ? undefined : new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:')
    throw new ConfigurationError(`${input} must be the http(s) address the switch printed; got ${JSON.stringify(raw)}.`);
  if (protocol === 'http:') logger.warning(`${input} ${raw} is plain http: Twilio will send it the call's details unencrypted.`);
}

/**
 * Production's fallback: `--fallback-url`, else the number's current address, which then must be
 * https (or none). Refused rather than dropped: without a fallback, calls fail when the new app
 * does, and nothing has been changed yet.
 */
function fallbackFor(request: { phoneNumber: string; fallbackUrl?: string }, previous: WebhookUrls): string | null {
  if (request.fallbackUrl !== undefined) return request.fallbackUrl;
  if (previous.voiceUrl === '') return null;
  const problem = httpsAddressProblem(previous.voiceUrl);
  if (problem)
    throw new ConfigurationError(
      `${request.phoneNumber}'s current voice URL ${JSON.stringify(previous.voiceUrl)} would become production's fallback, and a fallback must be https (${problem}): Twilio sends it the call's details when production fails. Pass --fallback-url with an https address of the old app (or another that answers calls) and run again; nothing was changed.`,
    );
  return previous.voiceUrl;
}

function urlsOf(number: Record<string, unknown>): WebhookUrls {
  return {
    voiceUrl: String(number['voice_url'] ?? ''),
    fallbackUrl:
      typeof number['voice_fallback_url'] === 'string' && number['voice_fallback_url'] !== '' ? number['voice_fallback_url'] : null,
  };
}

class TwilioClient {
  constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
    private readonly http: HttpClient,
  ) {}

  /** Twilio's answer; with `notFound: 'undefined'`, a 404 is undefined rather than an error. */
  async json(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Record<string, unknown>>;
  async json(
    method: 'GET' | 'POST',
    path: string,
    form: Record<string, string> | undefined,
    options: { notFound: 'undefined' },
  ): Promise<Record<string, unknown> | undefined>;
  async json(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string>,
    options?: { notFound: 'undefined' },
  ): Promise<Record<string, unknown> | undefined> {
    let response: PipelineResponse;
    try {
      response = await this.http.sendRequest(
        createPipelineRequest({
          url: `${TWILIO}/Accounts/${this.accountSid}${path}`,
          method,
          timeout: 20_000,
          headers: createHttpHeaders({
            authorization: `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`,
            ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          }),
          ...(form ? { body: new URLSearchParams(form).toString() } : {}),
        }),
      );
    } catch (error) {
      // No cause: the SDK's error carries the request, its URL (the account SID) and Authorization header.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`Twilio could not be reached: ${this.redact((error as Error).message)}`);
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(response.bodyAsText ?? '{}') as Record<string, unknown>;
    } catch {
      // Twilio answers JSON; anything else is reported by its status below.
    }
    if (response.status === 401)
      throw new ConfigurationError(
        'Twilio refused the account SID and auth token from the vault (20003 Authenticate): update TwilioAccountSid and TwilioAuthToken in the production vault.',
      );
    if (response.status === 404 && options?.notFound === 'undefined') return undefined;
    if (response.status >= 400)
      throw new Error(
        `Twilio answered ${response.status}${typeof body['code'] === 'number' ? ` (${body['code']})` : ''}: ${typeof body['message'] === 'string' ? this.redact(body['message']) : 'no message'}`,
      );
    return body;
  }

  /** Twilio's messages quote the request's path, which holds the account SID: they name the secret instead. */
  private redact(text: string): string {
    return text.replaceAll(this.accountSid, '<TwilioAccountSid>').replaceAll(this.authToken, '<TwilioAuthToken>');
  }
}

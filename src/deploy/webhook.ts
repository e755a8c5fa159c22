/**
 * The cutover's last switch: the phone number's voice webhook moved to the production app. With
 * Twilio: the account's credentials read from the production Key Vault (masked, kept in memory),
 * the number's current URLs read, `VoiceUrl` set to the new address and `VoiceFallbackUrl` to the
 * old one (calls still land if the new app falls over), then read back to verify. The previous
 * values are returned so the switch can be undone.
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

export interface WebhookSwitchRequest {
  /** An E.164 number (`+15551234567`) or the number's SID (`PN...`). */
  phoneNumber: string;
  /** The production app's voice endpoint, e.g. `https://voice-agent.<domain>/voice`. */
  url: string;
  /** The production vault holding TwilioAccountSid and TwilioAuthToken. */
  vault: string;
  /** Undo a switch: set these URLs back instead. */
  revert?: WebhookUrls;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

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
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(request.url))
    throw new ConfigurationError(
      `--url must be an https address of the production app, like https://voice-agent.<domain>/voice; got "${request.url}".`,
    );
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
  const wanted: WebhookUrls = request.revert ?? { voiceUrl: request.url, fallbackUrl: previous.voiceUrl };
  await twilio.json('POST', `/IncomingPhoneNumbers/${numberSid}.json`, {
    VoiceUrl: wanted.voiceUrl,
    VoiceFallbackUrl: wanted.fallbackUrl ?? '',
  });
  const now = urlsOf(await twilio.json('GET', `/IncomingPhoneNumbers/${numberSid}.json`));
  if (now.voiceUrl !== wanted.voiceUrl || now.fallbackUrl !== (wanted.fallbackUrl || null))
    throw new Error(`Twilio kept ${now.voiceUrl} for ${request.phoneNumber} after the update: check the number in the Twilio console.`);
  return { numberSid, phoneNumber: String(number['phone_number'] ?? request.phoneNumber), previous, now };
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

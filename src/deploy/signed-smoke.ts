import { createHmac, randomBytes } from 'node:crypto';
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { azureHttpClient } from '../azure/credential.js';
import { openKeyVault, resolveVaultReference } from '../azure/keyvault.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { checkProductionUrl } from './webhook.js';

/**
 * Twilio's request signature (X-Twilio-Signature): HMAC-SHA1, keyed with the account's auth token,
 * over the full URL Twilio called followed by every POST parameter's name and value, sorted by name,
 * then base64 (twilio.com, "Webhooks security"). An app behind Front Door sees its origin's host:
 * it must rebuild the URL from X-Forwarded-Host to check the signature (README, "Behind the edge").
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((name) => `${name}${params[name] ?? ''}`)
      .join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export interface SignedSmokeRequest {
  /** The voice webhook on the production address (the edge's): https, on an allowed host. */
  url: string;
  allowedHosts: readonly string[];
  /** The vault holding TwilioAccountSid and TwilioAuthToken. */
  vault: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** For tests: the client that sends the request. */
  http?: HttpClient;
}

export interface SignedSmokeResult {
  status: number;
}

/**
 * POSTs one call as Twilio would send it, signed with the account's auth token, to the production
 * voice webhook: the app must accept it (2xx). A 401/403 means the app could not check the
 * signature: behind the edge, the URL it rebuilds must come from X-Forwarded-Host. The token is
 * masked and never printed; the request names itself a smoke test (CallSid CA + "smoke").
 */
export async function signedSmoke(request: SignedSmokeRequest): Promise<SignedSmokeResult> {
  checkProductionUrl(request.url, request.allowedHosts);
  const vault = openKeyVault(resolveVaultReference(request.vault, '--vault'), request.env);
  const [sid, token] = await Promise.all([vault.getSecret('TwilioAccountSid'), vault.getSecret('TwilioAuthToken')]);
  request.logger.mask(sid.value);
  request.logger.mask(token.value);
  if (!sid.value.trim() || !token.value.trim())
    throw new ConfigurationError('TwilioAccountSid or TwilioAuthToken is empty in the vault: set both.');
  const params: Record<string, string> = {
    AccountSid: sid.value,
    CallSid: `CA${randomBytes(16).toString('hex')}`,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: '+15005550006',
    To: '+15005550006',
    ApiVersion: '2010-04-01',
  };
  const http = request.http ?? azureHttpClient(request.env);
  const response = await http.sendRequest(
    createPipelineRequest({
      url: request.url,
      method: 'POST',
      timeout: 15_000,
      headers: createHttpHeaders({
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(token.value, request.url, params),
        'user-agent': 'TwilioProxy/1.1 (azure-hipaa smoke test)',
      }),
      body: new URLSearchParams(params).toString(),
    }),
  );
  if (response.status === 401 || response.status === 403)
    throw new Error(
      `${request.url} refused a correctly signed Twilio request (${response.status}): the app checks X-Twilio-Signature against another URL. Behind Front Door it must rebuild the URL from X-Forwarded-Host (README, "Behind the edge").`,
    );
  if (response.status < 200 || response.status >= 300)
    throw new Error(`${request.url} answered ${response.status} to a signed Twilio request; the webhook stays where it is.`);
  return { status: response.status };
}

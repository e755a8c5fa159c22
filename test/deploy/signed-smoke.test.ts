/**
 * The cutover's signed smoke request: Twilio's signature (checked against Twilio's own documented
 * example), and the request sent to an app behind Front Door that checks it the way the README
 * shows (the URL rebuilt from X-Forwarded-Host), with the auth token from the sandbox's vault. The
 * "app" is an HttpClient in this process: nothing leaves 127.0.0.1.
 */
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { signedSmoke, twilioSignature } from '../../src/deploy/signed-smoke.js';

const EDGE = 'seniorly-prod-0123456789abcdef.z01.azurefd.net';
const ORIGIN = 'voice-agent.calmwater-1234.eastus2.azurecontainerapps.io';

describe('twilioSignature', () => {
  it('gives the signature of Twilio’s documented example (twilio.com, "Webhooks security")', () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('sorts the parameters by name, so their order does not matter', () => {
    expect(twilioSignature('t', 'https://a.example/voice', { B: '2', A: '1' })).toBe(
      twilioSignature('t', 'https://a.example/voice', { A: '1', B: '2' }),
    );
  });
});

let sandbox: Sandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startSandbox({ vaults: ['seniorly-prod-secrets'], latencyMs: 0 });
  const account = sandbox.server.twilio.createAccount('+15551234567', 'https://dev-voice.example.com/voice');
  token = account.authToken;
  const vault = sandbox.server.keyVaults.get('seniorly-prod-secrets');
  vault?.put('TwilioAccountSid', { value: account.accountSid, enabled: true });
  vault?.put('TwilioAuthToken', { value: account.authToken, enabled: true });
});
afterAll(async () => sandbox?.stop());

/**
 * The app behind Front Door: Front Door calls it at its origin host and says the caller's host in
 * X-Forwarded-Host. `rebuild` is how the app builds the URL it checks the signature against.
 */
function appBehindEdge(rebuild: 'forwarded-host' | 'own-host') {
  const seen: PipelineRequest[] = [];
  const http: HttpClient = {
    sendRequest: async (request) => {
      seen.push(request);
      const called = new URL(request.url);
      // What the edge forwards: the origin's host, the caller's host in X-Forwarded-Host.
      const host = rebuild === 'forwarded-host' ? called.host : ORIGIN;
      const url = `https://${host}${called.pathname}${called.search}`;
      const params = Object.fromEntries(new URLSearchParams(String(request.body)));
      const valid = request.headers.get('x-twilio-signature') === twilioSignature(token, url, params);
      return { request, status: valid ? 200 : 403, headers: createHttpHeaders() };
    },
  };
  return { http, seen };
}

describe('signedSmoke', () => {
  const masked: string[] = [];
  const logger = { ...silentLogger, mask: (value: string) => void masked.push(value) };
  const smoke = (http: HttpClient, url = `https://${EDGE}/voice`) =>
    signedSmoke({ url, allowedHosts: [EDGE], vault: 'seniorly-prod-secrets', env: { ...process.env, ...sandbox.env }, logger, http });

  it('sends a POST the app accepts when it rebuilds the URL from X-Forwarded-Host, and masks the token first', async () => {
    const { http, seen } = appBehindEdge('forwarded-host');
    expect(await smoke(http)).toEqual({ status: 200 });
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(String(seen[0]?.body)).toMatch(/CallSid=CA[0-9a-f]{32}/);
    expect(masked).toContain(token);
    // The token signs the request; it is never sent.
    expect(JSON.stringify(seen[0]?.headers.toJSON())).not.toContain(token);
    expect(String(seen[0]?.body)).not.toContain(token);
  });

  it('fails, naming X-Forwarded-Host, when the app checks the signature against its own host', async () => {
    const { http } = appBehindEdge('own-host');
    const error = await smoke(http).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/refused a correctly signed Twilio request \(403\).*X-Forwarded-Host/);
    expect((error as Error).message).not.toContain(token);
  });

  it('refuses an address that is not the production app’s', async () => {
    const { http, seen } = appBehindEdge('forwarded-host');
    await expect(smoke(http, 'https://attacker.example/voice')).rejects.toThrow(/allowed/);
    expect(seen).toEqual([]);
  });
});

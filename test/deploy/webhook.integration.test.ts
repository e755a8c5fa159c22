/** The cutover's webhook switch against the sandbox's Twilio, with the credentials in the sandbox's production vault. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { runCli } from '../../src/cli/run.js';
import { silentLogger } from '../../src/core/logger.js';

let sandbox: Sandbox;
let account: { accountSid: string; authToken: string; numberSid: string };

beforeAll(async () => {
  sandbox = await startSandbox({ vaults: ['seniorly-prod-secrets'], latencyMs: 0 });
  account = sandbox.server.twilio.createAccount('+15551234567', 'https://dev-voice.example.com/voice');
  const vault = sandbox.server.keyVaults.get('seniorly-prod-secrets');
  vault?.put('TwilioAccountSid', { value: account.accountSid, enabled: true });
  vault?.put('TwilioAuthToken', { value: account.authToken, enabled: true });
});
afterAll(async () => sandbox?.stop());

async function cli(...args: string[]): Promise<{ code: number; out: string; masked: string[] }> {
  let out = '';
  const masked: string[] = [];
  const code = await runCli(['switch-webhook', ...args], {
    stdout: (text) => void (out += text),
    stderr: (text) => void (out += text),
    logger: { ...silentLogger, mask: (value) => void masked.push(value) },
    env: { ...process.env, ...sandbox.env },
  });
  return { code, out, masked };
}

/**
 * The CLI as a workflow step runs it: its own process under GITHUB_ACTIONS=true, stdout and stderr
 * on one pipe (as the runner reads them), so the order of everything it wrote is kept.
 */
async function cliUnderActions(...args: string[]): Promise<{ code: number | null; lines: string[] }> {
  const root = join(import.meta.dirname, '..', '..');
  const child = spawn(
    'sh',
    ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'switch-webhook', ...args],
    { cwd: root, env: { ...process.env, ...sandbox.env, GITHUB_ACTIONS: 'true' }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, lines: output.split('\n') };
}

const number = () => sandbox.server.twilio.accounts.get(account.accountSid)?.numbers.get(account.numberSid);

describe('switch-webhook', () => {
  it('points the number at production with the old address as fallback, verifies, prints the undo; then reverts', async () => {
    const production = 'https://voice-agent.calm-1234.eastus2.azurecontainerapps.io/voice';
    const switched = await cli('--phone-number', '+15551234567', '--url', production, '--vault', 'seniorly-prod-secrets');
    expect(switched.code, switched.out).toBe(0);
    expect(number()).toMatchObject({ voice_url: production, voice_fallback_url: 'https://dev-voice.example.com/voice' });
    expect(switched.out).toContain(
      `undo with: azure-hipaa switch-webhook --phone-number +15551234567 --vault seniorly-prod-secrets --revert --previous-url https://dev-voice.example.com/voice`,
    );
    expect(switched.masked).toEqual(expect.arrayContaining([account.accountSid, account.authToken]));
    expect(switched.out.includes(account.authToken)).toBe(false);

    const reverted = await cli(
      '--phone-number',
      account.numberSid,
      '--vault',
      'seniorly-prod-secrets',
      '--revert',
      '--previous-url',
      'https://dev-voice.example.com/voice',
    );
    expect(reverted.code, reverted.out).toBe(0);
    expect(number()).toMatchObject({ voice_url: 'https://dev-voice.example.com/voice', voice_fallback_url: null });
  });

  it('says what to change when the vault holds a wrong token, a number it does not have, or a plain http URL', async () => {
    const vault = sandbox.server.keyVaults.get('seniorly-prod-secrets');
    vault?.put('TwilioAuthToken', { value: 'not-the-token', enabled: true });
    const refused = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      'https://prod.example.com/voice',
      '--vault',
      'seniorly-prod-secrets',
    );
    vault?.put('TwilioAuthToken', { value: account.authToken, enabled: true });
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(
      /Twilio refused the account SID and auth token from the vault \(20003 Authenticate\): update TwilioAccountSid and TwilioAuthToken/,
    );

    const unknown = await cli(
      '--phone-number',
      '+15550000000',
      '--url',
      'https://prod.example.com/voice',
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.out).toMatch(/has no number \+15550000000/);

    const insecure = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      'http://prod.example.com/voice',
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(insecure.code).toBe(2);
    expect(insecure.out).toMatch(/--url must be an https address/);
  });

  it('under GitHub Actions, registers the account SID and token with ::add-mask:: before any other output; a 404 names the secret, not the SID', async () => {
    const unknownSid = `PN${'0'.repeat(32)}`;
    const run = await cliUnderActions(
      '--phone-number',
      unknownSid,
      '--url',
      'https://voice-agent.calm-1234.eastus2.azurecontainerapps.io/voice',
      '--vault',
      'seniorly-prod-secrets',
    );
    // Named, never compared as values, so a failure prints no credential.
    const name = (line: string) =>
      line === `::add-mask::${account.accountSid}` ? 'sid' : line === `::add-mask::${account.authToken}` ? 'token' : 'other';
    expect(run.lines.slice(0, 2).map(name).sort()).toEqual(['sid', 'token']);
    const rest = run.lines.slice(2).join('\n');
    expect(rest.includes(account.accountSid), 'the account SID is printed').toBe(false);
    expect(rest.includes(account.authToken), 'the auth token is printed').toBe(false);
    expect(run.code).toBe(2);
    expect(rest).toMatch(new RegExp(`The Twilio account in TwilioAccountSid has no number ${unknownSid}`));
  }, 60_000);

  it('tells a team on Azure Communication Services the one Event Grid change to make', async () => {
    const advice = await cli('--provider', 'acs', '--url', 'https://prod.example.com/voice');
    expect(advice.code).toBe(0);
    expect(advice.out).toMatch(
      /Microsoft\.Communication\.IncomingCall.*az eventgrid event-subscription update .*--endpoint https:\/\/prod\.example\.com\/voice/s,
    );
  });
});

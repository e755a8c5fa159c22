/** The cutover's webhook switch against the sandbox's Twilio, with the credentials in the sandbox's production vault. */
import { execFileSync, spawn } from 'node:child_process';
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

/**
 * The undo command the switch printed, as a POSIX shell reads it: its arguments after
 * `azure-hipaa switch-webhook`. The addresses in these tests hold `'`, `&`, `;` and `$HOME`: quoted
 * wrongly, the command fails or changes here, and runs nothing worse than a variable assignment.
 */
function printedUndo(out: string): string[] {
  const command = /undo with: (.*)$/m.exec(out)?.[1];
  if (!command) throw new Error('no undo command printed');
  const words = execFileSync('sh', ['-c', `set -- ${command}\nprintf '%s\\0' "$@"`], { encoding: 'utf8' })
    .split('\0')
    .slice(0, -1);
  expect(words.slice(0, 2)).toEqual(['azure-hipaa', 'switch-webhook']);
  return words.slice(2);
}

const APP_HOST = 'voice-agent.calm-1234.eastus2.azurecontainerapps.io';
const PRODUCTION = `https://${APP_HOST}/voice`;

const number = () => sandbox.server.twilio.accounts.get(account.accountSid)?.numbers.get(account.numberSid);

describe('switch-webhook', () => {
  it('points the number at production with the old address as fallback, verifies, prints the undo; the printed undo reverts', async () => {
    const switched = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      PRODUCTION,
      '--allowed-host',
      APP_HOST,
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(switched.code, switched.out).toBe(0);
    expect(number()).toMatchObject({ voice_url: PRODUCTION, voice_fallback_url: 'https://dev-voice.example.com/voice' });
    expect(switched.out).toContain(
      `undo with: azure-hipaa switch-webhook --phone-number '+15551234567' --vault 'seniorly-prod-secrets' --revert --previous-url 'https://dev-voice.example.com/voice'`,
    );
    expect(switched.masked).toEqual(expect.arrayContaining([account.accountSid, account.authToken]));
    expect(switched.out.includes(account.authToken)).toBe(false);

    const reverted = await cli(...printedUndo(switched.out));
    expect(reverted.code, reverted.out).toBe(0);
    expect(number()).toMatchObject({ voice_url: 'https://dev-voice.example.com/voice', voice_fallback_url: null });
  });

  it('prints an undo that runs as printed and restores both addresses exactly, whatever they hold, or none', async () => {
    const scenes = [
      { voice: "https://dev-voice.example.com/voice?who=o'brien&home=$HOME", fallback: 'https://dev-fallback.example.com/voice;x=1&y=2' },
      // A number that answered with no voice URL (a TwiML app, say): the undo clears it again.
      { voice: '', fallback: null },
    ];
    for (const { voice, fallback } of scenes) {
      Object.assign(number() ?? {}, { voice_url: voice, voice_fallback_url: fallback });
      const switched = await cli(
        '--phone-number',
        '+15551234567',
        '--url',
        PRODUCTION,
        '--allowed-host',
        APP_HOST,
        '--vault',
        'seniorly-prod-secrets',
      );
      expect(switched.code, switched.out).toBe(0);
      expect(number()).toMatchObject({ voice_url: PRODUCTION, voice_fallback_url: voice || null });

      const reverted = await cli(...printedUndo(switched.out));
      expect(reverted.code, reverted.out).toBe(0);
      expect(number()).toMatchObject({ voice_url: voice, voice_fallback_url: fallback });
    }
    Object.assign(number() ?? {}, { voice_url: 'https://dev-voice.example.com/voice', voice_fallback_url: null });
  });

  it('refuses a --url that is not the production app: another host, a user name before the host, a port, http, a voice path that is not a path', async () => {
    const before = { ...number() };
    const refusals: [string, RegExp][] = [
      ['https://attacker.example/voice', /its host attacker\.example is not the production app's/],
      [`https://${APP_HOST}@attacker.example/voice`, /names a user before the host, so its host is attacker\.example/],
      [`https://${APP_HOST}.attacker.example/voice`, /is not the production app's/],
      [`https://${APP_HOST}:8443/voice`, /port 8443: only 443 is allowed/],
      [`http://${APP_HOST}/voice`, /it is not https/],
      [`https://${APP_HOST}`, /must start with \//],
      [`https://${APP_HOST}//attacker.example/voice`, /must not start with \/\//],
      [`https://${APP_HOST}/voice?next=https://attacker.example`, /must not hold @, \?, # or \\/],
      [`https://${APP_HOST}/voice#x`, /must not hold @, \?, # or \\/],
      [`https://${APP_HOST}/v@ice`, /must not hold @, \?, # or \\/],
      [`https://${APP_HOST}/voice\\x`, /must not hold @, \?, # or \\/],
      [`https://${APP_HOST}\\@attacker.example/voice`, /names a user before the host|must start with/],
      [`https://${APP_HOST}/app/../voice`, /must not hold \. or \.\. segments/],
      [`https://${APP_HOST}/app/%2E%2e/voice`, /must not hold \. or \.\. segments/],
      [`https://${APP_HOST}/voice\u0007`, /whitespace or control characters/],
      [`https://${APP_HOST}/voice\n::error::x`, /whitespace or control characters/],
      [`https://%76oice-agent.calm-1234.eastus2.azurecontainerapps.io/voice`, /its host is written/],
    ];
    for (const [url, reason] of refusals) {
      const refused = await cli(
        '--phone-number',
        '+15551234567',
        '--url',
        url,
        '--allowed-host',
        APP_HOST,
        '--vault',
        'seniorly-prod-secrets',
      );
      expect({ url, code: refused.code }).toEqual({ url, code: 2 });
      expect(refused.out).toMatch(/--url must be the production app's https address/);
      expect(refused.out).toMatch(reason);
    }
    const noHost = await cli('--phone-number', '+15551234567', '--url', PRODUCTION, '--vault', 'seniorly-prod-secrets');
    expect(noHost.code).toBe(2);
    expect(noHost.out).toMatch(/--allowed-host is required/);
    expect(number()).toEqual(before);

    // Port 443 written out, and a second allowed host (a custom domain), are the production app.
    const custom = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      'https://voice.seniorly.example:443/calls/voice',
      '--allowed-host',
      APP_HOST,
      '--allowed-host',
      'voice.seniorly.example',
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(custom.code, custom.out).toBe(0);
    expect(number()?.voice_url).toBe('https://voice.seniorly.example:443/calls/voice');
    Object.assign(number() ?? {}, before);
  });

  it('refuses to make a plain http address the fallback, naming --fallback-url; takes an https one, and the printed undo restores the http address', async () => {
    Object.assign(number() ?? {}, { voice_url: 'http://dev-voice.example.com/voice', voice_fallback_url: null });
    const args = ['--phone-number', '+15551234567', '--url', PRODUCTION, '--allowed-host', APP_HOST, '--vault', 'seniorly-prod-secrets'];
    const refused = await cli(...args);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(
      /current voice URL "http:\/\/dev-voice\.example\.com\/voice" would become production's fallback, and a fallback must be https .*Pass --fallback-url with an https address/,
    );
    const insecure = await cli(...args, '--fallback-url', 'http://dev-voice.example.com/voice');
    expect(insecure.code).toBe(2);
    expect(insecure.out).toMatch(/--fallback-url must be an https address/);
    expect(number()).toMatchObject({ voice_url: 'http://dev-voice.example.com/voice', voice_fallback_url: null });

    const switched = await cli(...args, '--fallback-url', 'https://dev-voice.example.com/voice');
    expect(switched.code, switched.out).toBe(0);
    expect(number()).toMatchObject({ voice_url: PRODUCTION, voice_fallback_url: 'https://dev-voice.example.com/voice' });

    let warned = '';
    let code = 0;
    await runCli(['switch-webhook', ...printedUndo(switched.out)], {
      stdout: () => {},
      stderr: (text) => void (warned += text),
      logger: { ...silentLogger, warning: (message) => void (warned += message), error: (message) => void (warned += message) },
      env: { ...process.env, ...sandbox.env },
    }).then((exit) => (code = exit));
    expect(code, warned).toBe(0);
    expect(warned).toMatch(/--previous-url http:\/\/dev-voice\.example\.com\/voice is plain http/);
    expect(number()).toMatchObject({ voice_url: 'http://dev-voice.example.com/voice', voice_fallback_url: null });
    Object.assign(number() ?? {}, { voice_url: 'https://dev-voice.example.com/voice' });
  });

  it('says what to change when the vault holds a wrong token, a number it does not have, or a plain http URL', async () => {
    const vault = sandbox.server.keyVaults.get('seniorly-prod-secrets');
    vault?.put('TwilioAuthToken', { value: 'not-the-token', enabled: true });
    const refused = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      PRODUCTION,
      '--allowed-host',
      APP_HOST,
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
      PRODUCTION,
      '--allowed-host',
      APP_HOST,
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.out).toMatch(/has no number \+15550000000/);

    const insecure = await cli(
      '--phone-number',
      '+15551234567',
      '--url',
      `http://${APP_HOST}/voice`,
      '--allowed-host',
      APP_HOST,
      '--vault',
      'seniorly-prod-secrets',
    );
    expect(insecure.code).toBe(2);
    expect(insecure.out).toMatch(/--url must be the production app's https address, like https:\/\/voice-agent\S+\/voice: it is not https/);
  });

  it('under GitHub Actions, registers the account SID and token with ::add-mask:: before any other output; a 404 names the secret, not the SID', async () => {
    const unknownSid = `PN${'0'.repeat(32)}`;
    const run = await cliUnderActions(
      '--phone-number',
      unknownSid,
      '--url',
      PRODUCTION,
      '--allowed-host',
      APP_HOST,
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

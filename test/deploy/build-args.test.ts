/** Which build args look like credentials: by name, or by a value that a credential-named variable holds. */
import { describe, expect, it } from 'vitest';
import { credentialBuildArgs, looksLikeCredential } from '../../src/deploy/build-args.js';

describe('looksLikeCredential', () => {
  it.each(['NPM_TOKEN', 'GH_PAT', 'dbPassword', 'API-KEY', 'aws.secret.access', 'REGISTRY_AUTH', 'AZURE_CREDENTIALS', 'SSH_KEYS', 'token'])(
    '%s does',
    (name) => expect(looksLikeCredential(name)).toBe(true),
  );
  it.each(['APP_MODE', 'PATH', 'KEYBOARD_LAYOUT', 'TOKENIZER_MODEL', 'PATCH_LEVEL', 'AUTHOR', 'monkey'])('%s does not', (name) =>
    expect(looksLikeCredential(name)).toBe(false),
  );
});

describe('credentialBuildArgs', () => {
  it('names build args whose name looks like a credential, or whose value a credential-named variable holds; never their values', () => {
    const env = { NPM_TOKEN: 'npm_abcdef123456', HOME: '/home/runner', AUTH_ENABLED: 'true' };
    const found = credentialBuildArgs(
      { APP_MODE: 'production', GH_PAT: 'anything', REGISTRY_LOGIN: 'npm_abcdef123456', HOME_DIR: '/home/runner', DEBUG: 'true' },
      env,
    );
    expect(found).toEqual([
      { name: 'GH_PAT', why: 'its name looks like a credential' },
      { name: 'REGISTRY_LOGIN', why: 'its value is the value of the environment variable NPM_TOKEN' },
    ]);
    expect(JSON.stringify(found)).not.toContain('npm_abcdef123456');
  });
});

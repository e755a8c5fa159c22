import { describe, expect, it } from 'vitest';
import type { SecretMetadata } from '../../src/azure/keyvault.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { canUpdateInPlace, differingMetadata, maskSecretValue } from '../../src/secrets/compare.js';

const base: SecretMetadata = {
  tags: { env: 'dev' },
  enabled: true,
  contentType: 'text/plain',
  expiresOn: new Date('2027-01-01T00:00:00Z'),
};

describe('differingMetadata', () => {
  it.each<[string, Partial<SecretMetadata>, string[]]>([
    ['nothing', {}, []],
    ['an equal date in another object', { expiresOn: new Date('2027-01-01T00:00:00Z') }, []],
    ['tags', { tags: { env: 'prod' } }, ['tags']],
    ['an extra tag', { tags: { env: 'dev', owner: 'x' } }, ['tags']],
    ['enabled', { enabled: false }, ['enabled']],
    ['content type', { contentType: 'application/json' }, ['contentType']],
    ['dates', { notBefore: new Date(0), expiresOn: undefined }, ['notBefore', 'expiresOn']],
  ])('%s', (_title, change, expected) => {
    expect(differingMetadata(base, { ...base, ...change })).toEqual(expected);
  });
});

describe('canUpdateInPlace', () => {
  it('can set fields but not clear them', () => {
    expect(canUpdateInPlace(base, { tags: {}, enabled: false })).toBe(true);
    expect(canUpdateInPlace({ tags: {}, enabled: true }, base)).toBe(false);
  });
});

describe('maskSecretValue', () => {
  it('registers the value, each line and each trimmed line, once each', () => {
    const masked: string[] = [];
    const logger: Logger = { ...silentLogger, mask: (value) => void masked.push(value) };
    maskSecretValue(logger, '-----BEGIN KEY-----\n  line two  \r\nend');
    expect(masked).toEqual(['-----BEGIN KEY-----\n  line two  \r\nend', '-----BEGIN KEY-----', '  line two  ', 'end', 'line two']);
  });
});

import { describe, expect, it } from 'vitest';
import type { SecretMetadata } from '../../src/azure/keyvault.js';
import { maskPieces } from '../../src/core/masking.js';
import { canUpdateInPlace, differingMetadata } from '../../src/secrets/compare.js';

const base: SecretMetadata = {
  tags: { env: 'dev' },
  enabled: true,
  contentType: 'text/plain',
  expiresOn: new Date('2027-01-01T00:00:00Z'),
};

/** A change as the SDK may hand it: a property present but `undefined` (a date removed). */
type MetadataChange = { [K in keyof SecretMetadata]?: SecretMetadata[K] | undefined };

describe('differingMetadata', () => {
  it.each<[string, MetadataChange, string[]]>([
    ['nothing', {}, []],
    ['an equal date in another object', { expiresOn: new Date('2027-01-01T00:00:00Z') }, []],
    ['tags', { tags: { env: 'prod' } }, ['tags']],
    ['an extra tag', { tags: { env: 'dev', owner: 'x' } }, ['tags']],
    ['enabled', { enabled: false }, ['enabled']],
    ['content type', { contentType: 'application/json' }, ['contentType']],
    ['dates', { notBefore: new Date(0), expiresOn: undefined }, ['notBefore', 'expiresOn']],
  ])('%s', (_title, change, expected) => {
    expect(differingMetadata(base, { ...base, ...change } as SecretMetadata)).toEqual(expected);
  });
});

describe('canUpdateInPlace', () => {
  it('can set fields but not clear them', () => {
    expect(canUpdateInPlace(base, { tags: {}, enabled: false })).toBe(true);
    expect(canUpdateInPlace({ tags: {}, enabled: true }, base)).toBe(false);
  });
});

describe('maskPieces', () => {
  it('gives each trimmed line once, splitting at LF, CRLF and a bare CR as the runner does', () => {
    expect(maskPieces('-----BEGIN KEY-----\n  line two  \r\nend\rline two')).toEqual(['-----BEGIN KEY-----', 'line two', 'end']);
  });

  it('leaves out lines that would hide ordinary text: whitespace and JSON punctuation', () => {
    expect(maskPieces('{\n  "key": "s3cr3t-value",\n  "list": [\n    "a1"\n  ],\n}\n \t\n')).toEqual([
      '"key": "s3cr3t-value",',
      '"list": [',
      '"a1"',
    ]);
    expect(maskPieces('single-line-value')).toEqual(['single-line-value']);
  });
});

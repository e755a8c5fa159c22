/** Reading input files: hostile shapes are refused with the file and what is wrong, never a JavaScript message or an exhausted process. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseLocatedDocument, readLocatedDocument } from '../../src/core/located-document.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'located-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('reading a document', () => {
  it('refuses JSON nested 3,000 deep, naming the file', () => {
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    expect(() => parseLocatedDocument(deep, 'main.json')).toThrowError(ConfigurationError);
    expect(() => parseLocatedDocument(deep, 'main.json')).toThrowError(/^main\.json nests objects or lists more than 100 levels deep/);
  });

  it('refuses a YAML alias bomb quickly', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    const started = performance.now();
    expect(() => parseLocatedDocument(lines.join('\n'), 'azure-hipaa.yml')).toThrowError(/^azure-hipaa\.yml cannot be read: .*alias/i);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a file larger than the 4 MB ARM takes, before reading it', async () => {
    const path = join(dir, 'huge.json');
    await writeFile(path, `{"resources": [], "pad": "${'x'.repeat(4 * 1024 * 1024)}"}`);
    await expect(readLocatedDocument(path, 'huge.json')).rejects.toThrowError(
      /^huge\.json is \d+ bytes; ARM accepts templates and parameters files of at most 4 MB/,
    );
  });
});

describe('JSON with comments, as the Azure CLI and PowerShell deploy it', () => {
  const template = [
    '// a template with comments',
    '{',
    '  /* block',
    '     comment */',
    '  "resources": [ // inline',
    '    { "name": "a//b", "url": "https://x/*y*/", "quote": "say \\"//\\"" } /* after */',
    '  ]',
    '}',
  ].join('\n');

  it('reads // and /* */ comments outside strings, and keeps them inside strings', () => {
    const document = parseLocatedDocument(template, 'main.json');
    expect(document.value).toEqual({ resources: [{ name: 'a//b', url: 'https://x/*y*/', quote: 'say "//"' }] });
  });

  it('keeps the lines of values after a comment', () => {
    expect(parseLocatedDocument(template, 'main.json').locate(['resources', 0, 'url']).line).toBe(6);
  });

  it('still refuses an unterminated block comment', () => {
    expect(() => parseLocatedDocument('{ "a": 1 /* open', 'main.json')).toThrowError(ConfigurationError);
  });
});

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../src/config/json-schema.js';

const committed = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema/azure-hipaa.schema.json');

describe('schema/azure-hipaa.schema.json', () => {
  it('is up to date with src/config/schema.ts (regenerate: npx tsx scripts/write-config-schema.ts)', async () => {
    expect(await readFile(committed, 'utf8')).toBe(configJsonSchemaText());
  });

  it('leaves every field optional and rejects unknown keys', () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      required?: string[];
      additionalProperties?: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.required ?? []).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('keyVault');
  });
});

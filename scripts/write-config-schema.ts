/**
 * Writes schema/azure-hipaa.schema.json, the JSON Schema editors use to complete and check
 * azure-hipaa.yml. Run after changing src/config/schema.ts: `npx tsx scripts/write-config-schema.ts`
 * (a test fails while the committed file is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('../schema/azure-hipaa.schema.json', import.meta.url));
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${target}`);

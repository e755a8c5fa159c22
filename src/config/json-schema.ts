import { z } from 'zod';
import { EnvironmentConfigSchema } from './schema.js';

/**
 * The environment config's JSON Schema for editors (yaml-language-server). Describes the input:
 * every field with a default is optional. draft-07 because editors support it best.
 */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(EnvironmentConfigSchema, { io: 'input', target: 'draft-07' });
  return `${JSON.stringify({ ...schema, title: 'azure-hipaa environment config' }, null, 2)}\n`;
}

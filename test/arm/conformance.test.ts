/**
 * The expression evaluator against Microsoft's own documented examples of every template function
 * (test/fixtures/arm-functions: each example's template and the outputs its reference page
 * states). Outputs that depend on the deployment (a GUID, the time, the resource group's id) are
 * only checked to be unknown or a string; everything else must equal the documented value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, LAZY_FUNCTIONS } from '../../src/arm/functions.js';
import { resolveOutputs } from '../../src/arm/resolve.js';
import { isUnknown } from '../../src/arm/values.js';
import { repoRoot } from '../helpers/run-action.js';

interface Example {
  function: string;
  template: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  expectedOutputs: Record<string, unknown>;
  deploymentDependent?: string[];
  documentedValues?: Record<string, unknown>;
  suspectedDocErrors?: Record<string, unknown>;
}

const directory = join(repoRoot, 'test/fixtures/arm-functions');
const pages = readdirSync(directory)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({
    page: name.replace(/\.json$/, ''),
    examples: (JSON.parse(readFileSync(join(directory, name), 'utf8')) as { examples: Example[] }).examples,
  }));

/** Outputs as plain JSON: an unknown anywhere inside stays visible as such. */
function plain(value: unknown): unknown {
  if (isUnknown(value)) return { unknown: value.reason };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

describe.each(pages)('template functions: $page', ({ examples }) => {
  it.each(examples.map((example, index) => ({ ...example, label: `${example.function} (example ${index + 1})` })))(
    '$label gives the documented outputs',
    (example) => {
      const { outputs, environment } = resolveOutputs(example.template, {
        source: { file: `${example.function}.json`, value: example.template },
        ...(example.parameters ? { parameters: example.parameters } : {}),
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        resourceGroup: 'examplegroup',
        location: 'southcentralus',
      });
      expect(environment.problems ?? []).toEqual([]);
      for (const [name, documented] of Object.entries(example.expectedOutputs)) {
        const expected = example.suspectedDocErrors && name in example.suspectedDocErrors ? example.suspectedDocErrors[name] : documented;
        expect(plain(outputs[name]), name).toEqual(expected);
      }
      // A value only the deployment knows is unknown offline, or a stand-in of the documented kind (a GUID, the group's object).
      for (const name of example.deploymentDependent ?? []) {
        const value = outputs[name];
        const declared = String((example.template['outputs'] as Record<string, { type?: string }>)[name]?.type ?? 'string').toLowerCase();
        const kind = { object: 'object', array: 'object', int: 'number', bool: 'boolean' }[declared] ?? 'string';
        if (!isUnknown(value)) expect(typeof value, name).toBe(kind);
      }
    },
  );
});

describe('coverage of the conformance suite', () => {
  it('has a documented example for every function the evaluator implements, but for the few named here', () => {
    const used = new Set(
      pages.flatMap(({ examples }) =>
        examples.flatMap((example) =>
          [
            ...JSON.stringify(example.template)
              .toLowerCase()
              .matchAll(/([a-z][a-z0-9]*)\(/g),
          ].map((m) => m[1]),
        ),
      ),
    );
    const implemented = [...Object.keys(FUNCTIONS), ...Object.keys(LAZY_FUNCTIONS)];
    // The stored reference pages have no example of these (groupBy and mapValues are newer than them;
    // environment() and tenant() sit on pages outside the suite); test/arm/resolve.test.ts covers them.
    expect(implemented.filter((name) => !used.has(name)).sort()).toEqual(['environment', 'groupby', 'mapvalues', 'tenant']);
  });
});

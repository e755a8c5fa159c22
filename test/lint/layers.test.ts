/** The layer rule in eslint/layers.js, run through ESLint with the project's own config, on imports that go each way. */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run-action.js';

// The files linted here do not exist, so the type-aware rules could not find them in tsconfig's program; the layer rule needs no types.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: tseslint.configs.disableTypeChecked });

async function layerMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  // A file that did not parse would pass every "allows" case without the rule running.
  expect(result?.messages.filter((message) => message.fatal)).toEqual([]);
  return (result?.messages ?? []).filter((message) => message.ruleId === 'project/layers').map((message) => message.message);
}

describe('the layer rule', () => {
  it.each([
    [
      'the judge importing the config loader',
      'src/compliance/controls/x.ts',
      "import { loadConfig } from '../../config/load.js';",
      /layer compliance .* may not import src\/config\/load\.ts/,
    ],
    [
      'the core importing the judge',
      'src/core/x.ts',
      "import type { Finding } from '../compliance/model.js';",
      /layer core .* may not import src\/compliance\/model\.ts/,
    ],
    [
      'the renderer importing the gate',
      'src/template/x.ts',
      "export { runGate } from '../gate/gate.js';",
      /layer template .* may not import src\/gate\/gate\.ts/,
    ],
    [
      'an adapter importing provision lazily',
      'src/azure/x.ts',
      "const p = await import('../provision/provision.js');",
      /layer azure .* may not import/,
    ],
    [
      'the ARM language importing the judge',
      'src/arm/x.ts',
      "import type { Finding } from '../compliance/model.js';",
      /layer arm .* may not import src\/compliance\/model\.ts/,
    ],
    [
      'the Azure name rules importing the config',
      'src/azure/naming.ts',
      "import { loadConfig } from '../config/load.js';",
      /layer registry .* may not import src\/config\/load\.ts/,
    ],
    ['the sandbox importing the gate', 'sandbox/x.ts', "import { runGate } from '../src/gate/gate.js';", /sandbox may reuse only/],
    // It keeps its own name and region tables (sandbox/arm/names.ts), so it cannot agree with the product by construction.
    [
      'the sandbox importing the product’s name rules',
      'sandbox/arm/x.ts',
      "import { NAME_RULES } from '../../src/azure/naming.js';",
      /sandbox may reuse only .* not src\/azure\/naming\.ts/,
    ],
    [
      'the sandbox importing a schema validator from the product',
      'sandbox/arm/x.ts',
      "import { validateResourceBody } from '../../src/template/arm-schema.js';",
      /sandbox may reuse only .* not src\/template\/arm-schema\.ts/,
    ],
    [
      'the sandbox importing the judge',
      'sandbox/x.ts',
      "import type { Finding } from '../src/compliance/model.js';",
      /sandbox may reuse only/,
    ],
    [
      'the gate importing the sandbox',
      'src/gate/x.ts',
      "import { startSandbox } from '../../sandbox/index.js';",
      /may not import the sandbox/,
    ],
  ])('refuses %s', async (_label, filePath, code, message) => {
    expect(await layerMessages(filePath, `${code}\nexport const used = 1;\n`)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    [
      'the gate importing the judge and the config',
      'src/gate/x.ts',
      "import { evaluate } from '../compliance/evaluate.js';\nimport { loadConfig } from '../config/load.js';",
    ],
    ['the judge importing the type registry', 'src/compliance/x.ts', "import { resourceType } from '../azure/resource-types.js';"],
    ['the sandbox importing the expression evaluator', 'sandbox/arm/x.ts', "import { evaluateDeep } from '../../src/arm/scope.js';"],
    ['the sandbox importing resource ids', 'sandbox/arm/x.ts', "import { stableGuid } from '../../src/core/resource-id.js';"],
    ['the config importing the Azure name rules', 'src/config/x.ts', "import { NAME_RULES } from '../azure/naming.js';"],
    ['the ARM language importing the Azure facts', 'src/arm/x.ts', "import { NAME_RULES } from '../azure/naming.js';"],
    ['the judge importing the ARM language', 'src/compliance/x.ts', "import { isUnknown } from '../arm/values.js';"],
    ['the ARM language importing the core', 'src/arm/x.ts', "import { providerPath } from '../core/resource-id.js';"],
    ['the sandbox importing UnknownValue', 'sandbox/x.ts', "import { UnknownValue } from '../src/arm/values.js';"],
    ['the CLI starting the sandbox', 'src/cli/commands/sandbox.ts', "import { startSandbox } from '../../../sandbox/index.js';"],
  ])('allows %s', async (_label, filePath, code) => {
    expect(await layerMessages(filePath, `${code}\nexport const used = 1;\n`)).toEqual([]);
  });
});

// A local ESLint rule: the source tree's layers import one way. Each file belongs to a layer by
// its path; it may import its own layer and the layers below it, never one above. The sandbox
// is a separate program that may reuse only a named surface of product code; product code never
// imports the sandbox, except the CLI commands that start it.
import { dirname, relative, resolve } from 'node:path';

/** Lowest first. A path matches the first entry whose prefix it starts with. */
export const LAYERS = [
  { name: 'core', paths: ['src/core/'], what: 'what everything may use' },
  {
    name: 'registry',
    paths: ['src/azure/resource-types.ts', 'src/azure/naming.ts'],
    what: 'Azure facts: the one registry of resource types, and the name rules and regions',
  },
  { name: 'arm', paths: ['src/arm/'], what: "ARM's template expression language and what a deployment deploys" },
  { name: 'compliance', paths: ['src/compliance/'], what: 'the pure judge' },
  { name: 'config', paths: ['src/config/'], what: 'the environment config' },
  { name: 'template', paths: ['src/template/'], what: 'config to ARM template' },
  { name: 'azure', paths: ['src/azure/'], what: 'Azure adapters' },
  { name: 'application', paths: ['src/gate/', 'src/secrets/'], what: 'the gate and the secret migration' },
  { name: 'deployment', paths: ['src/provision/', 'src/deploy/'], what: 'provisioning and the rollout' },
  { name: 'cli', paths: ['src/cli/'], what: 'the command line' },
  { name: 'actions', paths: ['actions/'], what: 'the action wrappers' },
];

/** What the sandbox may reuse of product code, and why (sandbox/README.md says the same). */
export const SANDBOX_SURFACE = [
  'src/core/', // resource ids, stable GUIDs
  'src/azure/resource-types.ts', // which api-versions each type has
  'src/arm/', // ARM's template expression language (and UnknownValue, which it returns), to run deployments
];

const SANDBOX_STARTERS = ['src/cli/commands/sandbox.ts', 'src/cli/commands/demo.ts', 'src/cli/commands/rehearse.ts'];

function layerOf(path) {
  const index = LAYERS.findIndex((layer) => layer.paths.some((prefix) => path.startsWith(prefix)));
  return index === -1 ? undefined : { index, ...LAYERS[index] };
}

function check(context, node, specifier) {
  if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
  const root = context.cwd;
  const from = relative(root, context.filename);
  const target = relative(root, resolve(dirname(context.filename), specifier)).replace(/\.js$/, '.ts');
  if (from.startsWith('sandbox/')) {
    if (target.startsWith('src/') && !SANDBOX_SURFACE.some((prefix) => target.startsWith(prefix))) {
      context.report({ node, messageId: 'sandboxSurface', data: { target } });
    }
    return;
  }
  if (target.startsWith('sandbox/') && (from.startsWith('src/') || from.startsWith('actions/')) && !SANDBOX_STARTERS.includes(from)) {
    context.report({ node, messageId: 'productImportsSandbox', data: { from, target } });
    return;
  }
  const importer = layerOf(from);
  const imported = layerOf(target);
  if (importer && imported && imported.index > importer.index) {
    context.report({
      node,
      messageId: 'upward',
      data: { from, target, importer: `${importer.name} (${importer.what})`, imported: `${imported.name} (${imported.what})` },
    });
  }
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Layers import one way: a file may import its own layer and those below it (README: Repository layout).' },
    messages: {
      upward:
        '{{from}} is in layer {{importer}} and may not import {{target}}, which is in layer {{imported}} above it. Move the shared piece down, or pass it in.',
      sandboxSurface:
        'The sandbox may reuse only the product code listed in eslint/layers.js (SANDBOX_SURFACE), not {{target}}: it must answer as Azure does, not as our product expects.',
      productImportsSandbox: '{{from}} may not import the sandbox ({{target}}); only the CLI commands that start it may.',
    },
    schema: [],
  },
  create(context) {
    return {
      ImportDeclaration: (node) => check(context, node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(context, node, node.source.value),
      ExportAllDeclaration: (node) => check(context, node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(context, node, node.source.value),
    };
  },
};

export default { rules: { layers: layersRule } };

/**
 * Provisioning the example environment in the sandbox, where each resource takes its real Azure
 * provisioning time (sandbox/arm/catalog.ts) times SCALE. Compares the deployment's wall time with
 * the critical path of the template's dependency graph (the best any order can do) and with the
 * sum of all resource times (what the migration guide's one-command-after-another method costs).
 * Bound: wall within 10% of the critical path. Run: npx tsx bench/provision.ts
 */
import { startSandbox } from '../sandbox/index.js';
import { typeSpec } from '../sandbox/arm/catalog.js';
import { expandTemplate } from '../sandbox/arm/expand.js';
import { UnknownValue } from '../src/arm/values.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { provision } from '../src/provision/provision.js';
import { armPort } from '../src/azure/arm.js';
import { renderTemplate } from '../src/template/render.js';

const SCALE = 0.004;
const BOUND = 1.1;
const root = new URL('..', import.meta.url).pathname;
const config = 'examples/azure-hipaa.yml';

const template = renderTemplate((await loadConfig(config, { cwd: root })).config);
const expanded = expandTemplate(
  template,
  {},
  {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    tenantId: 't',
    resourceGroup: 'rg',
    location: 'eastus2',
    deploymentName: 'bench',
  },
  (_target, _apiVersion, _full, text) => new UnknownValue('bench', text),
);
const seconds = new Map(
  expanded.resources.map((resource) => [resource.id.toLowerCase(), (typeSpec(resource.type)?.createSeconds ?? 5) * SCALE]),
);
const finish = new Map<string, number>();
const finishOf = (id: string): number => {
  const known = finish.get(id);
  if (known !== undefined) return known;
  const resource = expanded.resources.find((r) => r.id.toLowerCase() === id);
  const start = Math.max(0, ...[...(resource?.dependsOn ?? [])].filter((d) => seconds.has(d)).map(finishOf));
  const value = start + (seconds.get(id) ?? 0);
  finish.set(id, value);
  return value;
};
const criticalPath = Math.max(...[...seconds.keys()].map(finishOf));
const sum = [...seconds.values()].reduce((a, b) => a + b, 0);

const sandbox = await startSandbox({ latencyMs: 15, armTimeScale: SCALE });
try {
  const env = { ...process.env, ...sandbox.env };
  const started = performance.now();
  // The deploy phase as the client sees it: from the deployment PUT until provision has seen it succeed, polling included.
  let wall = 0;
  const logger = {
    ...silentLogger,
    group: async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
      const phase = performance.now();
      try {
        return await fn();
      } finally {
        if (title.startsWith('Deploy ')) wall = (performance.now() - phase) / 1000;
      }
    },
  };
  const result = await provision(
    { cwd: root, config, mode: 'deploy', gate: 'block', logger },
    { arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string) },
  );
  const total = (performance.now() - started) / 1000;
  if (result.status !== 'deployed') throw new Error(`provision did not deploy: ${result.status}`);
  const ratio = wall / criticalPath;
  console.log(`provision: ${expanded.resources.length} resources at time scale ${SCALE} (Azure seconds x ${SCALE})`);
  console.log(
    `  deploy phase wall ${wall.toFixed(2)} s (client side, polling included); critical path ${criticalPath.toFixed(2)} s; sum of resource times ${sum.toFixed(2)} s`,
  );
  console.log(`  wall / critical path = ${ratio.toFixed(3)} (bound ${BOUND.toFixed(2)}) ${ratio <= BOUND ? 'OK' : 'OVER'}`);
  console.log(`  sum / wall = ${(sum / wall).toFixed(1)}x faster than one resource after another`);
  console.log(
    `  whole provision run (gate, what-if, validate, deploy, polling) ${total.toFixed(2)} s; in Azure time the deployment is ~${(wall / SCALE / 60).toFixed(0)} min against ~${(sum / SCALE / 60).toFixed(0)} min one by one`,
  );
  if (ratio > BOUND) process.exitCode = 1;
} finally {
  await sandbox.stop();
}

/**
 * How the gate scales: judge generated ARM templates of 1,000 and 10,000 resources (in modules
 * of 600, as ARM allows at most 800 a template) and print
 * resources per second. Bound: the time per resource at 10k may be at most 1.5x the time per
 * resource at 1k (linear in size; anything quadratic shows up as ~10x).
 * Run: npx tsx bench/gate.ts
 */
import { resolveTemplate } from '../src/arm/resolve.js';
import { evaluate } from '../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY } from '../src/compliance/model.js';

const LINEARITY_BOUND = 1.5;

const TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
/** Rounds of six resources per module: 600 resources, inside ARM's 800 per template. */
const ROUNDS_PER_MODULE = 100;

/**
 * A template of about `count` resources, as Bicep writes a large environment: modules (inline
 * nested deployments with their own parameters) of vaults, storage accounts and SQL servers with a
 * database and auditing, each vault with a diagnostic setting.
 */
export function generateTemplate(count: number): Record<string, unknown> {
  const rounds = Math.floor(count / 6);
  const modules = Array.from({ length: Math.ceil(rounds / ROUNDS_PER_MODULE) }, (_, index) => ({
    type: 'Microsoft.Resources/deployments',
    apiVersion: '2022-09-01',
    name: `module-${index}`,
    properties: {
      mode: 'Incremental',
      expressionEvaluationOptions: { scope: 'inner' },
      parameters: { prefix: { value: "[parameters('prefix')]" }, location: { value: "[parameters('location')]" } },
      template: moduleTemplate(index * ROUNDS_PER_MODULE, Math.min(rounds, (index + 1) * ROUNDS_PER_MODULE)),
    },
  }));
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: { prefix: { type: 'string', defaultValue: 'bench-' }, location: { type: 'string', defaultValue: 'eastus2' } },
    resources: modules,
  };
}

function moduleTemplate(from: number, to: number): Record<string, unknown> {
  const tags = { Compliance: 'HIPAA', Environment: 'Production' };
  const resources: Record<string, unknown>[] = [];
  // Six resources a round: a vault, its diagnostic setting, a storage account, a SQL server and its two nested children.
  for (let i = from; i < to; i++) {
    const vault = `kv-${i}`;
    resources.push({
      type: 'Microsoft.KeyVault/vaults',
      apiVersion: '2026-02-01',
      name: `[concat(parameters('prefix'), '${vault}')]`,
      location: "[parameters('location')]",
      tags,
      properties: {
        tenantId: '[subscription().tenantId]',
        sku: { family: 'A', name: 'standard' },
        enablePurgeProtection: true,
        enableRbacAuthorization: true,
        softDeleteRetentionInDays: 90,
        publicNetworkAccess: 'Disabled',
      },
    });
    resources.push({
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: 'audit',
      scope: `[resourceId('Microsoft.KeyVault/vaults', concat(parameters('prefix'), '${vault}'))]`,
      properties: {
        workspaceId: "[resourceId('Microsoft.OperationalInsights/workspaces', 'logs')]",
        logs: [{ categoryGroup: 'audit', enabled: true }],
      },
    });
    resources.push({
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: '2025-06-01',
      name: `[format('st{0}', ${i})]`,
      location: "[parameters('location')]",
      tags,
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      properties: {
        minimumTlsVersion: 'TLS1_2',
        allowBlobPublicAccess: false,
        supportsHttpsTrafficOnly: true,
        publicNetworkAccess: 'Disabled',
      },
    });
    resources.push({
      type: 'Microsoft.Sql/servers',
      apiVersion: '2023-08-01',
      name: `sql-${i}`,
      location: "[parameters('location')]",
      tags,
      properties: { minimalTlsVersion: '1.2', publicNetworkAccess: 'Disabled', administrators: { azureADOnlyAuthentication: true } },
      resources: [
        {
          type: 'databases',
          apiVersion: '2023-08-01',
          name: 'db',
          location: "[parameters('location')]",
          tags,
          dependsOn: [`sql-${i}`],
          properties: {},
        },
        {
          type: 'auditingSettings',
          apiVersion: '2023-08-01',
          name: 'default',
          dependsOn: [`sql-${i}`],
          properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true },
        },
      ],
    });
  }
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: { prefix: { type: 'string' }, location: { type: 'string' } },
    resources,
  };
}

function judge(count: number): { ms: number; resources: number; findings: number } {
  const template = generateTemplate(count);
  const started = performance.now();
  const environment = resolveTemplate(template, { source: { file: `generated-${count}.json`, value: template } });
  const report = evaluate(environment, { policy: DEFAULT_GATE_POLICY, now: new Date('2026-11-22T00:00:00Z') });
  return { ms: performance.now() - started, resources: environment.resources.length, findings: report.findings.length };
}

judge(1_000); // warm up the JIT so the small run is not charged for compilation
const small = judge(1_000);
const large = judge(10_000);
const perResourceSmall = small.ms / small.resources;
const perResourceLarge = large.ms / large.resources;
const ratio = perResourceLarge / perResourceSmall;
console.log('gate: judging generated ARM templates');
for (const run of [small, large]) {
  console.log(
    `  ${String(run.resources).padStart(6)} resources  ${run.ms.toFixed(0).padStart(6)} ms  ${Math.round((run.resources / run.ms) * 1000)
      .toLocaleString('en-US')
      .padStart(8)} resources/s  ${run.findings} findings`,
  );
}
console.log(
  `  time per resource, 10k vs 1k: ${ratio.toFixed(2)} (bound <= ${LINEARITY_BOUND}: linear in size) ${ratio <= LINEARITY_BOUND ? 'OK' : 'OVER BOUND'}`,
);
if (ratio > LINEARITY_BOUND) process.exitCode = 1;

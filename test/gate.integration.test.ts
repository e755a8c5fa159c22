/**
 * The gate end to end: the example environment passes; for every required control a small
 * change to the rendered template (or the config) makes exactly that control fail; what cannot
 * be evaluated offline is unknown and blocks.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../src/gate/gate.js';
import { CONTROLS } from '../src/compliance/catalog.js';
import { loadConfig } from '../src/config/load.js';
import { renderDefenderTemplate } from '../src/template/operations.js';
import { renderTemplate } from '../src/template/render.js';
import { runCli } from '../src/cli/run.js';
import { repoRoot } from './helpers/run-action.js';

type Json = Record<string, unknown>;
type Template = { resources: Json[] } & Json;

let work: string;
let baseline: Template;

/** The example config's template, and a copy of the config with its sample BAA evidence, in a scratch directory. */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gate-flip-'));
  await mkdir(join(work, 'compliance'));
  await copyFile(join(repoRoot, 'examples', 'azure-hipaa.yml'), join(work, 'azure-hipaa.yml'));
  await copyFile(join(repoRoot, 'examples', 'compliance', 'azure-baa-sample.txt'), join(work, 'compliance', 'azure-baa-sample.txt'));
  const { config } = await loadConfig('azure-hipaa.yml', { cwd: work });
  baseline = renderTemplate(config) as unknown as Template;
  // Provision deploys Defender's plans at subscription scope in a deployment of their own; one template holds them as a nested one.
  baseline.resources.push({
    type: 'Microsoft.Resources/deployments',
    apiVersion: '2025-04-01',
    name: 'defender-plans',
    subscriptionId: '[subscription().subscriptionId]',
    location: "[parameters('location')]",
    properties: { mode: 'Incremental', template: renderDefenderTemplate(config.operations) as unknown as Json },
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function byType(template: Template, type: string, nameEndsWith = ''): Json {
  const found = template.resources.find(
    (r) => String(r['type']).toLowerCase() === type.toLowerCase() && String(r['name']).endsWith(nameEndsWith),
  );
  if (!found) throw new Error(`the rendered template has no ${type} ${nameEndsWith}`);
  return found;
}
function props(resource: Json): Json {
  return resource['properties'] as Json;
}
function diagnosticSettingOf(template: Template, scopeType: string): Json {
  const found = template.resources.find(
    (r) => r['type'] === 'Microsoft.Insights/diagnosticSettings' && String(r['scope']).includes(`'${scopeType}'`),
  );
  if (!found) throw new Error(`no diagnostic setting for ${scopeType}`);
  return found;
}

/** Judges `template` with the example config's policy, BAA evidence and waivers. */
async function judge(template: Template) {
  await writeFile(join(work, 'main.json'), JSON.stringify(template, null, 2));
  return (await runGate({ cwd: work, template: 'main.json', config: 'azure-hipaa.yml', now: new Date('2026-11-22T12:00:00Z') })).report;
}

/**
 * Services the renderer does not emit, but users' templates do: a compliant site and Event Hubs
 * namespace are added, and `change` makes one setting of them non-compliant.
 */
function withCompliant(type: 'Microsoft.Web/sites' | 'Microsoft.EventHub/namespaces', change: (resource: Json) => void) {
  return (t: Template) => {
    const site: Json = {
      type,
      apiVersion: '2024-04-01',
      name: 'added',
      location: 'eastus2',
      tags: { Compliance: 'HIPAA', Environment: 'Production' },
      identity: { type: 'SystemAssigned' },
      properties:
        type === 'Microsoft.Web/sites'
          ? { httpsOnly: true, siteConfig: { minTlsVersion: '1.2', ftpsState: 'Disabled', appSettings: [] } }
          : { minimumTlsVersion: '1.2', disableLocalAuth: true, publicNetworkAccess: 'Disabled' },
    };
    change(site);
    t.resources.push(site);
  };
}
const siteConfigOf = (site: Json) => props(site)['siteConfig'] as Json;

/** Controls that fail with a flipped one because they rest on the same setting. */
const FOLLOWS: Record<string, string[]> = { 'containerapp.managed-identity': ['ai.app-identity'] };

const flips: [control: string, change: (t: Template) => void][] = [
  ['keyvault.purge-protection', (t) => void (props(byType(t, 'Microsoft.KeyVault/vaults'))['enablePurgeProtection'] = false)],
  ['keyvault.soft-delete', (t) => void (props(byType(t, 'Microsoft.KeyVault/vaults'))['softDeleteRetentionInDays'] = 30)],
  ['keyvault.rbac', (t) => void (props(byType(t, 'Microsoft.KeyVault/vaults'))['enableRbacAuthorization'] = false)],
  [
    'cosmos.continuous-backup',
    (t) => void (props(byType(t, 'Microsoft.DocumentDB/databaseAccounts'))['backupPolicy'] = { type: 'Periodic' }),
  ],
  ['cosmos.local-auth-disabled', (t) => void (props(byType(t, 'Microsoft.DocumentDB/databaseAccounts'))['disableLocalAuth'] = false)],
  [
    'cosmos.metadata-write-locked',
    (t) => void (props(byType(t, 'Microsoft.DocumentDB/databaseAccounts'))['disableKeyBasedMetadataWriteAccess'] = false),
  ],
  ['cosmos.tls', (t) => void (props(byType(t, 'Microsoft.DocumentDB/databaseAccounts'))['minimalTlsVersion'] = 'Tls')],
  ['sql.auditing', (t) => void (props(byType(t, 'Microsoft.Sql/servers/auditingSettings'))['state'] = 'Disabled')],
  ['sql.threat-protection', (t) => void (props(byType(t, 'Microsoft.Sql/servers/advancedThreatProtectionSettings'))['state'] = 'Disabled')],
  ['sql.tde', (t) => void (props(byType(t, 'Microsoft.Sql/servers/databases/transparentDataEncryption'))['state'] = 'Disabled')],
  ['sql.tls', (t) => void (props(byType(t, 'Microsoft.Sql/servers'))['minimalTlsVersion'] = '1.0')],
  [
    'sql.entra-only-auth',
    (t) => void ((props(byType(t, 'Microsoft.Sql/servers'))['administrators'] as Json)['azureADOnlyAuthentication'] = false),
  ],
  [
    'sql.long-term-retention',
    (t) => void (props(byType(t, 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies'))['yearlyRetention'] = 'P1Y'),
  ],
  ['redis.tls-only', (t) => void (props(byType(t, 'Microsoft.Cache/redisEnterprise/databases'))['clientProtocol'] = 'Plaintext')],
  ['redis.min-tls', (t) => void (props(byType(t, 'Microsoft.Cache/redisEnterprise'))['minimumTlsVersion'] = '1.0')],
  ['redis.entra-auth', (t) => void (props(byType(t, 'Microsoft.Cache/redisEnterprise/databases'))['accessKeysAuthentication'] = 'Enabled')],
  ['storage.https-only', (t) => void (props(byType(t, 'Microsoft.Storage/storageAccounts'))['supportsHttpsTrafficOnly'] = false)],
  ['storage.min-tls', (t) => void (props(byType(t, 'Microsoft.Storage/storageAccounts'))['minimumTlsVersion'] = 'TLS1_0')],
  ['storage.no-public-blob', (t) => void (props(byType(t, 'Microsoft.Storage/storageAccounts'))['allowBlobPublicAccess'] = true)],
  [
    'storage.backup-retention',
    (t) => {
      const policy = props(byType(t, 'Microsoft.Storage/storageAccounts/managementPolicies'))['policy'] as {
        rules: { definition: { actions: { baseBlob: Json } } }[];
      };
      (policy.rules[0] as (typeof policy.rules)[0]).definition.actions.baseBlob['delete'] = { daysAfterModificationGreaterThan: 365 };
    },
  ],
  [
    'logs.retention',
    (t) => void (props(byType(t, 'Microsoft.OperationalInsights/workspaces/tables', '/AZKVAuditLogs'))['totalRetentionInDays'] = 730),
  ],
  [
    'logs.retention',
    (t) => void (props(byType(t, 'Microsoft.OperationalInsights/workspaces/tables', '/AzureDiagnostics'))['totalRetentionInDays'] = 730),
  ],
  ['diagnostics.audit-logs', (t) => void t.resources.splice(t.resources.indexOf(diagnosticSettingOf(t, 'Microsoft.KeyVault/vaults')), 1)],
  [
    'diagnostics.audit-logs',
    (t) => void t.resources.splice(t.resources.indexOf(diagnosticSettingOf(t, 'Microsoft.Search/searchServices')), 1),
  ],
  [
    'cognitiveservices.local-auth-disabled',
    (t) => void (props(byType(t, 'Microsoft.CognitiveServices/accounts', 'speech'))['disableLocalAuth'] = false),
  ],
  ['search.local-auth-disabled', (t) => void delete props(byType(t, 'Microsoft.Search/searchServices'))['disableLocalAuth']],
  ['registry.admin-disabled', (t) => void (props(byType(t, 'Microsoft.ContainerRegistry/registries'))['adminUserEnabled'] = true)],
  [
    'registry.anonymous-pull-disabled',
    (t) => void (props(byType(t, 'Microsoft.ContainerRegistry/registries'))['anonymousPullEnabled'] = true),
  ],
  [
    'containerapp.https-only',
    (t) => void (((props(byType(t, 'Microsoft.App/containerApps'))['configuration'] as Json)['ingress'] as Json)['allowInsecure'] = true),
  ],
  ['containerapp.managed-identity', (t) => void delete byType(t, 'Microsoft.App/containerApps')['identity']],
  [
    'ai.app-identity',
    (t) => {
      const assignment = t.resources.find(
        (r) => r['type'] === 'Microsoft.Authorization/roleAssignments' && String(r['scope']).includes(`'Microsoft.Search/searchServices'`),
      );
      if (!assignment) throw new Error('the rendered template grants no role on the search service');
      // Reader: the control plane only, no Search data role.
      props(assignment)['roleDefinitionId'] =
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]";
    },
  ],
  [
    'containerapp.registry-identity',
    (t) =>
      void ((props(byType(t, 'Microsoft.App/containerApps'))['configuration'] as Json)['registries'] = [
        { server: 'seniorlyprodacr.azurecr.io', username: 'seniorlyprodacr', passwordSecretRef: 'acr-password' },
      ]),
  ],
  [
    'containerapp.secrets-from-keyvault',
    (t) =>
      void ((props(byType(t, 'Microsoft.App/containerApps'))['configuration'] as Json)['secrets'] = [
        { name: 'openai-key', value: 'an inline value' },
      ]),
  ],
  ['environment.logs', (t) => void delete props(byType(t, 'Microsoft.App/managedEnvironments'))['appLogsConfiguration']],
  ['appservice.https-only', withCompliant('Microsoft.Web/sites', (site) => void (props(site)['httpsOnly'] = false))],
  ['appservice.min-tls', withCompliant('Microsoft.Web/sites', (site) => void (siteConfigOf(site)['minTlsVersion'] = '1.0'))],
  ['appservice.ftps', withCompliant('Microsoft.Web/sites', (site) => void (siteConfigOf(site)['ftpsState'] = 'AllAllowed'))],
  ['appservice.managed-identity', withCompliant('Microsoft.Web/sites', (site) => void delete site['identity'])],
  [
    'appservice.no-secret-settings',
    withCompliant('Microsoft.Web/sites', (site) => void (siteConfigOf(site)['appSettings'] = [{ name: 'DB_PASSWORD', value: 'inline' }])),
  ],
  ['eventhubs.min-tls', withCompliant('Microsoft.EventHub/namespaces', (ns) => void (props(ns)['minimumTlsVersion'] = '1.0'))],
  ['eventhubs.local-auth-disabled', withCompliant('Microsoft.EventHub/namespaces', (ns) => void delete props(ns)['disableLocalAuth'])],
  ['monitoring.action-group', (t) => void (props(byType(t, 'Microsoft.Insights/actionGroups'))['armRoleReceivers'] = [])],
  ['monitoring.alerts', (t) => void t.resources.splice(t.resources.indexOf(byType(t, 'Microsoft.Insights/metricAlerts', '-restarts')), 1)],
  ['monitoring.availability-test', (t) => void (props(byType(t, 'Microsoft.Insights/webtests'))['Enabled'] = false)],
  [
    'defender.plans',
    (t) => {
      const nested = props(byType(t, 'Microsoft.Resources/deployments', 'defender-plans'))['template'] as Template;
      props(byType(nested, 'Microsoft.Security/pricings', 'KeyVaults'))['pricingTier'] = 'Free';
    },
  ],
  [
    'policy.hipaa-initiative',
    (t) =>
      void (props(byType(t, 'Microsoft.Authorization/policyAssignments'))['policyDefinitionId'] =
        '/providers/Microsoft.Authorization/policySetDefinitions/179d1daa-458f-4e47-8086-2a68d0d6c38f'),
  ],
  [
    'frontdoor.waf-prevention',
    (t) =>
      void ((props(byType(t, 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies'))['policySettings'] as Json)['mode'] =
        'Detection'),
  ],
  [
    'frontdoor.waf-default-rules',
    (t) => {
      const rules = props(byType(t, 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies'))['managedRules'] as Json;
      rules['managedRuleSets'] = (rules['managedRuleSets'] as Json[]).filter((set) => set['ruleSetType'] !== 'Microsoft_DefaultRuleSet');
    },
  ],
  [
    'frontdoor.waf-bot-manager',
    (t) => {
      const rules = props(byType(t, 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies'))['managedRules'] as Json;
      rules['managedRuleSets'] = (rules['managedRuleSets'] as Json[]).filter((set) => set['ruleSetType'] !== 'Microsoft_BotManagerRuleSet');
    },
  ],
  [
    'frontdoor.waf-attached',
    (t) => void (t.resources = t.resources.filter((r) => r['type'] !== 'Microsoft.Cdn/profiles/securityPolicies')),
  ],
  ['frontdoor.https-only', (t) => void (props(byType(t, 'Microsoft.Cdn/profiles/afdEndpoints/routes'))['httpsRedirect'] = 'Disabled')],
  ['environment.behind-edge', (t) => void (props(byType(t, 'Microsoft.App/managedEnvironments'))['publicNetworkAccess'] = 'Enabled')],
  ['tags.required', (t) => void delete (byType(t, 'Microsoft.KeyVault/vaults')['tags'] as Json)['Compliance']],
  [
    'baa.scope',
    (t) =>
      void t.resources.push({
        type: 'Microsoft.Fabricated/widgets',
        apiVersion: '2026-01-01',
        name: 'w1',
        location: 'eastus2',
        tags: { Compliance: 'HIPAA', Environment: 'Production' },
      }),
  ],
];

describe('the HIPAA gate on the example environment', () => {
  it('passes every control', async () => {
    const report = await judge(structuredClone(baseline));
    const notPassing = report.findings.filter((f) => f.status !== 'pass' && f.status !== 'not-applicable');
    expect(notPassing.map((f) => `${f.control} ${f.resource.name}: ${f.message}`)).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  it('has a flip test for every required control of the catalog', () => {
    const required = CONTROLS.filter((c) => c.severity === 'required').map((c) => c.id);
    const covered = [...flips.map(([id]) => id), 'baa.evidence', 'openai.abuse-monitoring'];
    expect(required.filter((id) => !covered.includes(id))).toEqual([]);
  });

  it.each(flips)('fails %s after a small change', async (control, change) => {
    const template = structuredClone(baseline);
    change(template);
    const report = await judge(template);
    const failing = report.findings.filter((f) => f.status === 'fail');
    expect(failing.map((f) => f.control)).toContain(control);
    // Only the flipped control fails, and what follows from it: an app without an identity holds no AI data role either.
    expect([...new Set(failing.map((f) => f.control))].sort()).toEqual([control, ...(FOLLOWS[control] ?? [])].sort());
    expect(report.verdict).toBe('fail');
  });

  it('fails baa.evidence when the evidence file does not match its hash', async () => {
    const config = await readFile(join(work, 'azure-hipaa.yml'), 'utf8');
    await writeFile(join(work, 'tampered.yml'), config.replace(/sha256: *[0-9a-f]{64}/, `sha256: "${'0'.repeat(64)}"`));
    const report = (await runGate({ cwd: work, config: 'tampered.yml', now: new Date('2026-11-22T12:00:00Z') })).report;
    expect(report.findings.filter((f) => f.status === 'fail').map((f) => f.control)).toEqual(['baa.evidence']);
  });

  it('fails openai.abuse-monitoring when the config records neither an approval nor a waiver, and says which it found', async () => {
    const config = await readFile(join(work, 'azure-hipaa.yml'), 'utf8');
    const withoutRecord = config.replace(/\n {4}abuseMonitoring:\n( {6}.*\n)+/, '\n');
    expect(withoutRecord).not.toContain('abuseMonitoring:');
    await writeFile(join(work, 'no-abuse-record.yml'), withoutRecord);
    const report = (await runGate({ cwd: work, config: 'no-abuse-record.yml', now: new Date('2026-11-22T12:00:00Z') })).report;
    const failing = report.findings.filter((f) => f.status === 'fail');
    expect(failing.map((f) => `${f.control} ${f.resource.name}`)).toEqual(['openai.abuse-monitoring seniorly-prod-openai']);
    const example = (await runGate({ cwd: work, config: 'azure-hipaa.yml', now: new Date('2026-11-22T12:00:00Z') })).report;
    expect(example.findings.find((f) => f.control === 'openai.abuse-monitoring' && f.status === 'pass')?.message).toMatch(/^waiver: /);
  });

  it('on the built-in defaults, passes everything but the evidence only the user has: baa.evidence and openai.abuse-monitoring', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gate-defaults-'));
    try {
      const run = await runGate({ cwd: empty });
      expect(run.configSource).toBe('defaults');
      const notPassing = run.report.findings.filter((f) => f.status !== 'pass' && f.status !== 'not-applicable');
      expect(notPassing.map((f) => `${f.control}:${f.status}`).sort()).toEqual(['baa.evidence:fail', 'openai.abuse-monitoring:fail']);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('judges what cannot be evaluated offline as unknown, and unknown blocks', async () => {
    const template = structuredClone(baseline);
    props(byType(template, 'Microsoft.KeyVault/vaults'))['enablePurgeProtection'] = "[reference('someOtherVault').enablePurgeProtection]";
    const report = await judge(template);
    const finding = report.findings.find((f) => f.control === 'keyvault.purge-protection');
    expect(finding?.status).toBe('unknown');
    expect(report.verdict).toBe('fail');
  });

  it('points a finding at the line of the offending property in the template file', async () => {
    const template = structuredClone(baseline);
    props(byType(template, 'Microsoft.KeyVault/vaults'))['enablePurgeProtection'] = false;
    const report = await judge(template);
    const finding = report.findings.find((f) => f.control === 'keyvault.purge-protection' && f.status === 'fail');
    const lines = (await readFile(join(work, 'main.json'), 'utf8')).split('\n');
    expect(finding?.location?.file).toBe('main.json');
    expect(lines[(finding?.location?.line ?? 0) - 1]).toContain('"enablePurgeProtection": false');
  });
});

describe('azure-hipaa gate (CLI)', () => {
  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { cwd: work, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }

  it('exits 0 on a passing config and prints the verdict', async () => {
    const { code, stdout } = await cli(['gate', '--config', 'azure-hipaa.yml']);
    expect(stdout).toMatch(/pass/i);
    expect(code).toBe(0);
  });

  it('exits 1 on a blocking finding', async () => {
    const template = structuredClone(baseline);
    props(byType(template, 'Microsoft.KeyVault/vaults'))['enablePurgeProtection'] = false;
    await writeFile(join(work, 'bad.json'), JSON.stringify(template, null, 2));
    const { code, stdout } = await cli(['gate', '--template', 'bad.json', '--config', 'azure-hipaa.yml', '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { verdict: string; findings: { control: string; status: string }[] };
    expect(report.verdict).toBe('fail');
    expect(report.findings.some((f) => f.control === 'keyvault.purge-protection' && f.status === 'fail')).toBe(true);
  });

  it('takes the deployment target from --subscription, --resource-group and --location: unknown and blocking without it', async () => {
    const template = structuredClone(baseline);
    props(byType(template, 'Microsoft.KeyVault/vaults'))['enablePurgeProtection'] =
      "[and(equals(resourceGroup().location, 'eastus2'), equals(resourceGroup().name, 'rg-prod'), equals(subscription().subscriptionId, '00000000-0000-0000-0000-00000000000b'))]";
    await writeFile(join(work, 'targeted.json'), JSON.stringify(template, null, 2));
    const gate = (...target: string[]) =>
      cli(['gate', '--template', 'targeted.json', '--config', 'azure-hipaa.yml', '--format', 'json', ...target]);
    const purge = (stdout: string) =>
      (JSON.parse(stdout) as { findings: { control: string; status: string }[] }).findings.find(
        (f) => f.control === 'keyvault.purge-protection',
      )?.status;
    const without = await gate();
    expect([without.code, purge(without.stdout)]).toEqual([1, 'unknown']);
    const given = await gate(
      '--location',
      'eastus2',
      '--resource-group',
      'rg-prod',
      '--subscription',
      '00000000-0000-0000-0000-00000000000b',
    );
    expect([given.code, purge(given.stdout)]).toEqual([0, 'pass']);
    const elsewhere = await gate(
      '--location',
      'westus3',
      '--resource-group',
      'rg-prod',
      '--subscription',
      '00000000-0000-0000-0000-00000000000b',
    );
    expect([elsewhere.code, purge(elsewhere.stdout)]).toEqual([1, 'fail']);
    expect((await cli(['plan', '--config', 'azure-hipaa.yml', '--subscription', '00000000-0000-0000-0000-00000000000b'])).code).toBe(0);
  });

  it('exits 2 on bad input, naming the problem and its line', async () => {
    await writeFile(join(work, 'invalid.yml'), 'keyVault:\n  softDeleteRetentionInDays: 120\n');
    const { code, stderr } = await cli(['gate', '--config', 'invalid.yml']);
    expect(code).toBe(2);
    expect(stderr).toContain('invalid.yml:2');
    expect(stderr).toContain('softDeleteRetentionInDays');
  });

  it('exits 2 on an unknown format', async () => {
    expect((await cli(['gate', '--format', 'pdf'])).code).toBe(2);
  });
});

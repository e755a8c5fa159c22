import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { ArmResource } from '../../src/template/arm-types.js';
import { validateResourceBody } from '../../sandbox/arm/schema.js';
import { HIPAA_HITRUST_INITIATIVE } from '../../src/azure/resource-types.js';
import { renderDefenderTemplate } from '../../src/template/operations.js';
import { renderTemplate, resourceIdExpression } from '../../src/template/render.js';

const OPERATIONS_TYPES =
  /^Microsoft\.(Insights\/(actionGroups|metricAlerts|scheduledQueryRules|components|webtests)|Authorization\/policyAssignments|Consumption\/budgets)$/;

function operationsOf(resources: ArmResource[]): ArmResource[] {
  return resources.filter((resource) => OPERATIONS_TYPES.test(resource.type));
}

function ofType(resources: ArmResource[], type: string): ArmResource[] {
  return resources.filter((resource) => resource.type === type);
}

function props(resource: ArmResource | undefined): Record<string, unknown> {
  return (resource?.properties ?? {}) as Record<string, unknown>;
}

describe('the operations resources of the default config', () => {
  const config = defaultConfig();
  const template = renderTemplate(config);
  const resources = operationsOf(template.resources);

  it('validates every body, the Defender plans included, against the official ARM schemas', () => {
    const defender = renderDefenderTemplate(config.operations)?.resources ?? [];
    const failures = [...resources, ...defender].flatMap((resource) => {
      const result = validateResourceBody({ ...resource });
      return result.ok ? [] : [`${resource.type} ${resource.name}: ${result.errors.join('; ')}`];
    });
    expect(resources.length).toBeGreaterThan(10);
    expect(defender.length).toBe(6);
    expect(failures).toEqual([]);
  });

  it('is checked by a validator that rejects a misspelled property of these types', () => {
    const test = ofType(resources, 'Microsoft.Insights/webtests')[0] as ArmResource;
    const misspelled = { ...test, properties: { ...props(test), Frequncy: 300 } };
    expect(validateResourceBody(misspelled).ok).toBe(false);
  });

  it('pages the subscription owners through one action group when no address is configured', () => {
    const [group] = ofType(resources, 'Microsoft.Insights/actionGroups');
    expect(props(group)).toMatchObject({
      enabled: true,
      emailReceivers: [],
      webhookReceivers: [],
      armRoleReceivers: [{ name: 'subscription-owners', roleId: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', useCommonAlertSchema: true }],
    });
  });

  it('alerts on the app (5xx, no replica, restarts, CPU, memory) and on the audit logs, each through the action group', () => {
    const group = resourceIdExpression(ofType(resources, 'Microsoft.Insights/actionGroups')[0] as ArmResource);
    const metric = ofType(resources, 'Microsoft.Insights/metricAlerts');
    expect(metric.map((alert) => [alert.name, props(alert).severity])).toEqual([
      ['voice-agent-http-5xx', 1],
      ['voice-agent-no-replica', 1],
      ['voice-agent-restarts', 2],
      ['voice-agent-cpu', 3],
      ['voice-agent-memory', 3],
      ['voice-agent-health-availability', 1],
    ]);
    for (const alert of metric) expect(props(alert).actions).toEqual([{ actionGroupId: group }]);
    const logs = ofType(resources, 'Microsoft.Insights/scheduledQueryRules');
    expect(logs.map((rule) => rule.name)).toEqual([
      'seniorly-prod-logs-key-vault-access-denied',
      'seniorly-prod-logs-key-vault-unusual-secret-reads',
      'seniorly-prod-logs-sql-failed-logins',
      'seniorly-prod-logs-http-5xx-share',
    ]);
    // The share, which a metric alert cannot compute, from the HTTP logs: one record per request.
    const share = props(logs[3] as ArmResource).criteria as { allOf: { query: string }[] };
    expect(share.allOf[0]?.query).toBe(
      'ContainerAppHTTPLogs | where ContainerAppName == "voice-agent" | summarize Requests = count(), Errors = countif(toint(StatusCode) >= 500) | where Requests >= 20 and Errors * 100.0 / Requests > 5',
    );
    expect((logs[3] as ArmResource).dependsOn).toContain(
      "[resourceId('Microsoft.OperationalInsights/workspaces/tables', 'seniorly-prod-logs', 'ContainerAppHTTPLogs')]",
    );
    for (const rule of logs) {
      expect(props(rule).actions).toEqual({ actionGroups: [group] });
      expect(props(rule).scopes).toEqual(["[resourceId('Microsoft.OperationalInsights/workspaces', 'seniorly-prod-logs')]"]);
    }
  });

  it('sizes the CPU and memory thresholds from the app (2 cores, 4Gi at 85%)', () => {
    const criterion = (name: string) =>
      (
        props(ofType(resources, 'Microsoft.Insights/metricAlerts').find((alert) => alert.name === name)).criteria as {
          allOf: { threshold: number }[];
        }
      ).allOf[0]?.threshold;
    expect(criterion('voice-agent-cpu')).toBe(1.7e9);
    expect(criterion('voice-agent-memory')).toBe(Math.round(4 * 2 ** 30 * 0.85));
  });

  it('makes each log alert wait for the workspace table its query reads', () => {
    const ids = new Set(template.resources.map(resourceIdExpression));
    for (const rule of ofType(resources, 'Microsoft.Insights/scheduledQueryRules')) {
      const query = (props(rule).criteria as { allOf: { query: string }[] }).allOf[0]?.query ?? '';
      const table = /^(\w+)/.exec(query)?.[1] ?? '';
      const tableId = `[resourceId('Microsoft.OperationalInsights/workspaces/tables', 'seniorly-prod-logs', '${table}')]`;
      expect(rule.dependsOn).toContain(tableId);
      expect(ids.has(tableId)).toBe(true);
    }
  });

  it('tests the app’s public health address from five locations with a workspace-based component', () => {
    const [component] = ofType(resources, 'Microsoft.Insights/components');
    expect(props(component)).toMatchObject({ IngestionMode: 'LogAnalytics', DisableLocalAuth: true });
    expect(props(component).WorkspaceResourceId).toBe("[resourceId('Microsoft.OperationalInsights/workspaces', 'seniorly-prod-logs')]");
    const [test] = ofType(resources, 'Microsoft.Insights/webtests');
    expect(test?.kind).toBe('standard');
    expect(props(test).Kind).toBe('standard');
    expect((props(test).Locations as unknown[]).length).toBe(5);
    // Behind the edge (the default), where callers reach the app.
    expect((props(test).Request as { RequestUrl: string }).RequestUrl).toContain("resourceId('Microsoft.Cdn/profiles/afdEndpoints'");
    expect(test?.tags).toMatchObject({
      "[concat('hidden-link:', resourceId('Microsoft.Insights/components', 'seniorly-prod-appinsights'))]": 'Resource',
    });
  });

  it('assigns the built-in HITRUST/HIPAA initiative to the group, audit only', () => {
    const [assignment] = ofType(resources, 'Microsoft.Authorization/policyAssignments');
    expect(HIPAA_HITRUST_INITIATIVE).toBe('/providers/Microsoft.Authorization/policySetDefinitions/a169a624-5599-4385-a696-c8d643089fab');
    expect(assignment?.scope).toBeUndefined();
    expect(props(assignment)).toMatchObject({ policyDefinitionId: HIPAA_HITRUST_INITIATIVE, enforcementMode: 'DoNotEnforce' });
  });

  it('sets a monthly budget that notifies at 50, 80 and 100% and on a 100% forecast', () => {
    const [budget] = ofType(resources, 'Microsoft.Consumption/budgets');
    const notifications = props(budget).notifications as Record<string, { threshold: number; thresholdType: string }>;
    expect(Object.values(notifications).map((n) => `${n.thresholdType} ${n.threshold}`)).toEqual([
      'Actual 50',
      'Actual 80',
      'Actual 100',
      'Forecasted 100',
    ]);
    expect(props(budget)).toMatchObject({ amount: 1500, timeGrain: 'Monthly', category: 'Cost' });
  });
});

describe('the Defender for Cloud template', () => {
  it('turns each plan on at subscription scope, one after another', () => {
    const template = renderDefenderTemplate(defaultConfig().operations);
    expect(template?.$schema).toMatch(/subscriptionDeploymentTemplate\.json#$/);
    const plans = template?.resources ?? [];
    expect(plans.map((plan) => plan.name)).toEqual(['Containers', 'KeyVaults', 'SqlServers', 'StorageAccounts', 'CosmosDbs', 'Arm']);
    for (const plan of plans) expect(props(plan).pricingTier).toBe('Standard');
    expect(plans.slice(1).map((plan) => plan.dependsOn)).toEqual(
      plans.slice(0, -1).map((plan) => [`[subscriptionResourceId('Microsoft.Security/pricings', '${plan.name}')]`]),
    );
  });

  it('is left out when the config turns Defender off', () => {
    expect(renderDefenderTemplate(parseConfigText('operations: {defender: {enabled: false}}\n', 'c.yml').operations)).toBeUndefined();
  });
});

describe('operations from the config', () => {
  it('adds the team’s email addresses and webhook as receivers, and mails the budget to them', () => {
    const config = parseConfigText(
      'operations:\n  actionGroup: {emails: [oncall@example.com, cto@example.com], webhook: "https://pager.example.com/hook", notifyOwners: false}\n',
      'c.yml',
    );
    const resources = renderTemplate(config).resources;
    const [group] = ofType(resources, 'Microsoft.Insights/actionGroups');
    expect(props(group)).toMatchObject({
      emailReceivers: [
        { name: 'email-1', emailAddress: 'oncall@example.com' },
        { name: 'email-2', emailAddress: 'cto@example.com' },
      ],
      webhookReceivers: [{ name: 'webhook', serviceUri: 'https://pager.example.com/hook' }],
      armRoleReceivers: [],
    });
    const [budget] = ofType(resources, 'Microsoft.Consumption/budgets');
    for (const notification of Object.values(props(budget).notifications as Record<string, { contactEmails: string[] }>))
      expect(notification.contactEmails).toEqual(['oncall@example.com', 'cto@example.com']);
  });

  it('leaves out the no-replica alert for an app allowed to scale to zero', () => {
    const resources = renderTemplate(parseConfigText('containerApp: {minReplicas: 0}\n', 'c.yml')).resources;
    expect(ofType(resources, 'Microsoft.Insights/metricAlerts').map((alert) => alert.name)).not.toContain('voice-agent-no-replica');
  });

  it('tests an internal app only at a configured public address', () => {
    const internal = renderTemplate(parseConfigText('containerApp: {ingress: internal}\nedge: {enabled: false}\n', 'c.yml')).resources;
    expect(ofType(internal, 'Microsoft.Insights/webtests')).toEqual([]);
    const fronted = renderTemplate(
      parseConfigText(
        'containerApp: {ingress: internal}\nedge: {enabled: false}\noperations: {availability: {url: "https://voice.example.com/health"}}\n',
        'c.yml',
      ),
    ).resources;
    expect((props(ofType(fronted, 'Microsoft.Insights/webtests')[0]).Request as { RequestUrl: string }).RequestUrl).toBe(
      'https://voice.example.com/health',
    );
  });

  it('tests the app where callers reach it: behind the edge, the edge (the environment refuses the internet)', () => {
    const url = (config: string) =>
      (
        props(ofType(renderTemplate(parseConfigText(config, 'c.yml')).resources, 'Microsoft.Insights/webtests')[0]).Request as {
          RequestUrl: string;
        }
      ).RequestUrl;
    expect(url('{}\n')).toBe(
      "[format('https://{0}{1}', reference(resourceId('Microsoft.Cdn/profiles/afdEndpoints', 'seniorly-prod-edge', 'seniorly-prod'), '2025-06-01').hostName, '/health')]",
    );
    expect(url('edge: {customDomain: {hostName: voice.example.com}}\n')).toContain("'https://{0}{1}', 'voice.example.com', '/health'");
    expect(url('edge: {enabled: false}\n')).toContain("reference(resourceId('Microsoft.App/containerApps'");
  });

  it('leaves out the initiative and the budget when the config turns them off', () => {
    const resources = renderTemplate(
      parseConfigText('operations: {policy: {hipaaInitiative: false}, budget: {enabled: false}}\n', 'c.yml'),
    ).resources;
    expect(ofType(resources, 'Microsoft.Authorization/policyAssignments')).toEqual([]);
    expect(ofType(resources, 'Microsoft.Consumption/budgets')).toEqual([]);
  });

  it.each([
    ['operations: {availability: {locations: [us-va-ash-azr, us-ca-sjc-azr]}}\n', /at least three locations/],
    ['operations: {budget: {startDate: "2026-01-15"}}\n', /first day of a month/],
    ['operations: {actionGroup: {webhook: "http://pager.example.com"}}\n', /https:\/\/ URL/],
    ['operations: {actionGroup: {shortName: "much-too-long-name"}}\n', /1-12 letters/],
  ])('rejects %s', (text, message) => {
    expect(() => parseConfigText(text, 'c.yml')).toThrow(message);
  });
});

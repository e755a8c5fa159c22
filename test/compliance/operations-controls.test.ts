/**
 * The operations controls (monitoring.action-group, monitoring.alerts, monitoring.availability-test,
 * defender.plans, policy.hipaa-initiative) on the rendered template, changed one way at a time, and
 * read as ARM reads it: an absent resource fails, a value the gate cannot know is unknown, and a
 * resource declared twice counts at the declaration ARM applies last.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY, type Finding } from '../../src/compliance/model.js';
import { defaultConfig } from '../../src/config/schema.js';
import { judgeRendered } from '../../src/gate/gate.js';
import type { ArmResource, ArmTemplate } from '../../src/template/arm-types.js';
import { renderEnvironment, renderTemplate, resourceIdExpression } from '../../src/template/render.js';

const OPERATIONS_CONTROLS = ['monitoring.action-group', 'monitoring.alerts', 'monitoring.availability-test', 'policy.hipaa-initiative'];
const NOW = new Date('2026-12-01T00:00:00Z');

function judge(template: ArmTemplate): Finding[] {
  const environment = resolveTemplate(template, {
    source: { file: 'main.json', value: template },
    resourceGroup: 'seniorly-prod-rg',
    location: 'eastus2',
  });
  return evaluate(environment, { policy: DEFAULT_GATE_POLICY, waivers: [], now: NOW }).findings;
}

function finding(findings: Finding[], control: string): Finding {
  const found = findings.find((item) => item.control === control);
  if (!found) throw new Error(`no finding of ${control}`);
  return found;
}

/** The default template with `change` applied to a copy of its resources. */
function changed(change: (resources: ArmResource[]) => ArmResource[]): ArmTemplate {
  const template = structuredClone(renderTemplate(defaultConfig()));
  return { ...template, resources: change(template.resources) };
}

const named = (name: string) => (resource: ArmResource) => resource.name === name;
const without = (name: string) => (resources: ArmResource[]) => resources.filter((resource) => !named(name)(resource));
function withProperties(name: string, properties: Record<string, unknown>) {
  return (resources: ArmResource[]) =>
    resources.map((resource) =>
      named(name)(resource) ? { ...resource, properties: { ...resource.properties, ...properties } } : resource,
    );
}

describe('the operations controls on the rendered template', () => {
  it('pass on the default config', () => {
    const findings = judge(renderTemplate(defaultConfig()));
    for (const control of OPERATIONS_CONTROLS) expect(finding(findings, control).status, control).toBe('pass');
  });

  it.each([
    ['the 5xx alert', 'voice-agent-http-5xx', 'monitoring.alerts', /no enabled alert on 5xx responses of voice-agent/],
    ['the restart alert', 'voice-agent-restarts', 'monitoring.alerts', /no enabled alert on restarts/],
    ['the no-replica alert', 'voice-agent-no-replica', 'monitoring.alerts', /no enabled alert on running replicas/],

    ['the SQL log alert', 'seniorly-prod-logs-sql-failed-logins', 'monitoring.alerts', /SQLSecurityAuditEvents/],
    [
      'the 5xx share alert',
      'seniorly-prod-logs-http-5xx-share',
      'monitoring.alerts',
      /the share of 5xx responses \(ContainerAppHTTPLogs\)/,
    ],
    ['the availability test', 'voice-agent-health', 'monitoring.availability-test', /no enabled standard availability test/],
    [
      'the availability alert',
      'voice-agent-health-availability',
      'monitoring.availability-test',
      /availability alert on voice-agent-health/,
    ],
    ['the action group', 'seniorly-prod-oncall', 'monitoring.action-group', /no enabled action group with a receiver/],
    ['the HIPAA initiative', 'hipaa-hitrust', 'policy.hipaa-initiative', /no assignment of the HITRUST\/HIPAA initiative/],
  ])('fail when %s is removed', (_what, name, control, message) => {
    const template = changed(without(name));
    // Nothing may depend on a removed resource: drop those references too.
    const removed = resourceIdExpression(renderTemplate(defaultConfig()).resources.find(named(name)) as ArmResource);
    for (const resource of template.resources)
      if (resource.dependsOn) resource.dependsOn = resource.dependsOn.filter((id) => id !== removed);
    const result = finding(judge(template), control);
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(message);
  });

  it('fail when no log alert reads the Key Vault audit log (both are removed)', () => {
    const names = ['seniorly-prod-logs-key-vault-access-denied', 'seniorly-prod-logs-key-vault-unusual-secret-reads'];
    const template = changed((resources) => resources.filter((resource) => !names.includes(resource.name)));
    expect(finding(judge(template), 'monitoring.alerts')).toMatchObject({
      status: 'fail',
      message: /log search alert on Key Vault access \(AZKVAuditLogs\)/,
    });
  });

  it('fail on a disabled alert, an alert that notifies nobody and an action group without receivers', () => {
    expect(finding(judge(changed(withProperties('voice-agent-http-5xx', { enabled: false }))), 'monitoring.alerts').message).toMatch(
      /voice-agent-http-5xx has enabled false/,
    );
    expect(finding(judge(changed(withProperties('voice-agent-restarts', { actions: [] }))), 'monitoring.alerts').message).toMatch(
      /voice-agent-restarts notifies no action group/,
    );
    const silent = changed(withProperties('seniorly-prod-oncall', { armRoleReceivers: [] }));
    expect(finding(judge(silent), 'monitoring.action-group')).toMatchObject({ status: 'fail', message: /has no receiver/ });
  });

  it('fail on a URL ping test (no Kind), and on a test from fewer than three locations', () => {
    const ping = changed((resources) =>
      resources.map((resource) => {
        if (!named('voice-agent-health')(resource)) return resource;
        const { Kind: _kind, ...rest } = resource.properties as Record<string, unknown>;
        return { ...resource, properties: rest };
      }),
    );
    expect(finding(judge(ping), 'monitoring.availability-test').message).toMatch(/ping \(the default\), not standard/);
    const few = changed(withProperties('voice-agent-health', { Locations: [{ Id: 'us-va-ash-azr' }] }));
    expect(finding(judge(few), 'monitoring.availability-test').message).toMatch(/1 location\(s\), fewer than three/);
  });

  it('fail when the assignment names another definition', () => {
    const other = changed(
      withProperties('hipaa-hitrust', {
        policyDefinitionId: '/providers/Microsoft.Authorization/policySetDefinitions/179d1daa-458f-4e47-8086-2a68d0d6c38f',
      }),
    );
    expect(finding(judge(other), 'policy.hipaa-initiative')).toMatchObject({ status: 'fail', message: /assigns another definition/ });
  });

  it('are unknown, never pass, on a value the gate cannot know offline', () => {
    const withParameter = (template: ArmTemplate): ArmTemplate => ({
      ...template,
      parameters: { ...template.parameters, choice: { type: 'string' } },
    });
    const definition = withParameter(changed(withProperties('hipaa-hitrust', { policyDefinitionId: "[parameters('choice')]" })));
    expect(finding(judge(definition), 'policy.hipaa-initiative').status).toBe('unknown');
    const enabled = withParameter(changed(withProperties('voice-agent-http-5xx', { enabled: "[equals(parameters('choice'), 'on')]" })));
    expect(finding(judge(enabled), 'monitoring.alerts')).toMatchObject({
      status: 'unknown',
      message: /5xx responses .* cannot be known offline/,
    });
    const receivers = withParameter(changed(withProperties('seniorly-prod-oncall', { armRoleReceivers: "[parameters('choice')]" })));
    expect(finding(judge(receivers), 'monitoring.action-group').status).toBe('unknown');
  });

  it('are unknown when the only resource that meets them may not be deployed (a condition the gate cannot know)', () => {
    const template = changed((resources) =>
      resources.map((resource) =>
        named('hipaa-hitrust')(resource) ? { ...resource, condition: "[equals(parameters('choice'), 'yes')]" } : resource,
      ),
    );
    template.parameters = { ...template.parameters, choice: { type: 'string' } };
    expect(finding(judge(template), 'policy.hipaa-initiative').status).toBe('unknown');
  });

  it('judge an alert declared twice at the declaration ARM applies last', () => {
    const disabledAgain = () =>
      changed((resources) => {
        const alert = resources.find(named('voice-agent-http-5xx')) as ArmResource;
        const again: ArmResource = {
          ...structuredClone(alert),
          properties: { ...alert.properties, enabled: false },
          dependsOn: [...(alert.dependsOn ?? [])],
        };
        return [...resources, again];
      });
    // Neither declaration depends on the other: ARM may apply either last.
    expect(finding(judge(disabledAgain()), 'monitoring.alerts').status).toBe('unknown');
  });
});

describe('defender.plans', () => {
  const loaded = (config = defaultConfig()) => ({ config, source: 'azure-hipaa.yml' });
  const judging = { policy: DEFAULT_GATE_POLICY, waivers: [], waiverProblems: [] };

  it('passes on the config, whose Defender plans deploy at subscription scope beside the group', () => {
    const run = judgeRendered(renderEnvironment(defaultConfig()), loaded() as never, judging as never, NOW);
    expect(finding(run.report.findings, 'defender.plans')).toMatchObject({ status: 'pass' });
    const ids = run.environment.resources
      .filter((resource) => resource.type === 'Microsoft.Security/pricings')
      .map((resource) => resource.id);
    expect(ids).toContain('/subscriptions/\u27e6@subscription\u27e7/providers/Microsoft.Security/pricings/Arm');
  });

  it('fails when the config turns Defender off, or leaves a plan in use out', () => {
    const off = defaultConfig();
    off.operations.defender.enabled = false;
    expect(
      finding(judgeRendered(renderEnvironment(off), loaded(off) as never, judging as never, NOW).report.findings, 'defender.plans').message,
    ).toMatch(/no Containers plan on Standard.*no Arm plan on Standard/);
    const partial = defaultConfig();
    partial.operations.defender.plans = ['Containers', 'KeyVaults', 'StorageAccounts', 'CosmosDbs', 'Arm'];
    const result = finding(
      judgeRendered(renderEnvironment(partial), loaded(partial) as never, judging as never, NOW).report.findings,
      'defender.plans',
    );
    expect(result).toMatchObject({ status: 'fail', message: /no SqlServers plan on Standard/ });
  });

  it('fails on a plan left Free, and is unknown on a tier it cannot know', () => {
    const template = (tier: unknown): ArmTemplate => ({
      ...renderTemplate(defaultConfig()),
      parameters: { choice: { type: 'string' } },
      resources: ['Containers', 'KeyVaults', 'SqlServers', 'StorageAccounts', 'CosmosDbs', 'Arm'].map((name) => ({
        type: 'Microsoft.Security/pricings',
        apiVersion: '2024-01-01',
        name,
        properties: { pricingTier: name === 'KeyVaults' ? tier : 'Standard' },
      })),
    });
    // Only the pricings: the services in use are none but Resource Manager, so the KeyVaults plan is not needed.
    expect(finding(judge(template('Free')), 'defender.plans').status).toBe('pass');
    const withVault = (tier: unknown): ArmTemplate => {
      const base = template(tier);
      return {
        ...base,
        resources: [...base.resources, ...renderTemplate(defaultConfig()).resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults')],
      };
    };
    expect(finding(judge(withVault('Free')), 'defender.plans')).toMatchObject({ status: 'fail', message: /KeyVaults .*is "Free"/ });
    expect(finding(judge(withVault("[parameters('choice')]")), 'defender.plans').status).toBe('unknown');
  });
});

/**
 * The edge controls (Front Door and its WAF, the environment behind it): unit cases on built
 * resources, then whole templates through the resolver, the way the gate reads users' templates and
 * the rendered config.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { UnknownValue } from '../../src/arm/values.js';
import { CONTROLS, controlById } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { parseConfigText } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import { renderTemplate } from '../../src/template/render.js';
import type { ArmResource, ArmTemplate } from '../../src/template/arm-types.js';
import { context, resource, type ResourceSpec } from '../helpers/compliance.js';

function judge(controlId: string, spec: ResourceSpec, others: ResourceSpec[] = []) {
  const control = controlById(controlId);
  if (!control) throw new Error(`no control ${controlId}`);
  const built = resource(spec);
  return control.evaluate(built, context([built, ...others.map((other) => resource(other))]));
}

const wafPolicy = (properties: Record<string, unknown>): ResourceSpec => ({
  type: 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies',
  name: 'waf',
  apiVersion: '2025-11-01',
  body: { sku: { name: 'Premium_AzureFrontDoor' }, properties },
});
const RULE_SETS = [
  { ruleSetType: 'Microsoft_DefaultRuleSet', ruleSetVersion: '2.1', ruleSetAction: 'Block' },
  { ruleSetType: 'Microsoft_BotManagerRuleSet', ruleSetVersion: '1.1' },
];
const ruleSets = (sets: unknown) => wafPolicy({ policySettings: { mode: 'Prevention' }, managedRules: { managedRuleSets: sets } });

const PROFILE_ID = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Cdn/profiles/edge';
const securityPolicy = (domains: unknown, parameters: Record<string, unknown> = {}): ResourceSpec => ({
  type: 'Microsoft.Cdn/profiles/securityPolicies',
  name: 'waf',
  body: {
    properties: {
      parameters: {
        type: 'WebApplicationFirewall',
        wafPolicy: { id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/FrontDoorWebApplicationFirewallPolicies/waf' },
        associations: [{ domains, patternsToMatch: ['/*'] }],
        ...parameters,
      },
    },
  },
});
const profile = (children: ResourceSpec[]): ResourceSpec => ({
  type: 'Microsoft.Cdn/profiles',
  name: 'edge',
  body: { sku: { name: 'Premium_AzureFrontDoor' } },
  children: [{ type: 'Microsoft.Cdn/profiles/afdEndpoints', name: 'app', body: {} }, ...children],
});
const route = (properties: Record<string, unknown>): ResourceSpec => ({
  type: 'Microsoft.Cdn/profiles/afdEndpoints/routes',
  name: 'edge/app/default',
  body: { properties },
});
const managedEnvironment = (properties: Record<string, unknown>): ResourceSpec => ({
  type: 'Microsoft.App/managedEnvironments',
  name: 'env',
  body: { properties },
});

describe.each([
  // [control, resource, other resources, expected status]
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { enabledState: 'Enabled', mode: 'Prevention' } }), 'pass'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { mode: 'prevention' } }), 'pass'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { enabledState: 'Enabled', mode: 'Detection' } }), 'fail'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { enabledState: 'Enabled' } }), 'fail'],
  ['frontdoor.waf-prevention', wafPolicy({}), 'fail'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { enabledState: 'Disabled', mode: 'Prevention' } }), 'fail'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { mode: new UnknownValue("parameters('mode')") } }), 'unknown'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: new UnknownValue('variables') }), 'unknown'],
  ['frontdoor.waf-prevention', wafPolicy({ policySettings: { mode: true } }), 'unknown'],
  ['frontdoor.waf-default-rules', ruleSets(RULE_SETS), 'pass'],
  ['frontdoor.waf-default-rules', ruleSets([{ ruleSetType: 'Microsoft_DefaultRuleSet', ruleSetVersion: '2.1' }]), 'pass'],
  ['frontdoor.waf-default-rules', ruleSets([{ ruleSetType: 'DefaultRuleSet', ruleSetVersion: '1.0' }]), 'pass'],
  [
    'frontdoor.waf-default-rules',
    ruleSets([{ ruleSetType: 'Microsoft_DefaultRuleSet', ruleSetVersion: '2.1', ruleSetAction: 'Log' }]),
    'fail',
  ],
  ['frontdoor.waf-default-rules', ruleSets([RULE_SETS[1]]), 'fail'],
  ['frontdoor.waf-default-rules', wafPolicy({ policySettings: { mode: 'Prevention' } }), 'fail'],
  ['frontdoor.waf-default-rules', ruleSets(new UnknownValue('parameters')), 'unknown'],
  ['frontdoor.waf-default-rules', ruleSets({ ruleSetType: 'Microsoft_DefaultRuleSet' }), 'unknown'],
  ['frontdoor.waf-default-rules', ruleSets([{ ruleSetType: new UnknownValue('parameters'), ruleSetVersion: '2.1' }]), 'unknown'],
  // An unknown entry does not hide one that complies.
  ['frontdoor.waf-default-rules', ruleSets([{ ruleSetType: new UnknownValue('parameters') }, RULE_SETS[0]]), 'pass'],
  ['frontdoor.waf-bot-manager', ruleSets(RULE_SETS), 'pass'],
  ['frontdoor.waf-bot-manager', ruleSets([RULE_SETS[0]]), 'fail'],
  [
    'frontdoor.waf-bot-manager',
    ruleSets([{ ruleSetType: 'Microsoft_BotManagerRuleSet', ruleSetVersion: '1.1', ruleSetAction: 'Log' }]),
    'fail',
  ],
  ['frontdoor.waf-attached', profile([securityPolicy([{ id: `${PROFILE_ID}/afdEndpoints/app` }])]), 'pass'],
  // An id without subscription and group names the same endpoint.
  ['frontdoor.waf-attached', profile([securityPolicy([{ id: '/providers/Microsoft.Cdn/profiles/EDGE/afdendpoints/app' }])]), 'pass'],
  ['frontdoor.waf-attached', profile([]), 'fail'],
  ['frontdoor.waf-attached', profile([securityPolicy([{ id: `${PROFILE_ID}/afdEndpoints/other` }])]), 'fail'],
  ['frontdoor.waf-attached', profile([securityPolicy([{ id: `${PROFILE_ID}/afdEndpoints/app` }], { wafPolicy: null })]), 'fail'],
  [
    'frontdoor.waf-attached',
    profile([
      securityPolicy([{ id: `${PROFILE_ID}/afdEndpoints/app` }]),
      { type: 'Microsoft.Cdn/profiles/customDomains', name: 'voice', body: { properties: { hostName: 'voice.example.com' } } },
    ]),
    'fail',
  ],
  ['frontdoor.waf-attached', profile([securityPolicy(new UnknownValue('parameters'))]), 'unknown'],
  ['frontdoor.https-only', route({ httpsRedirect: 'Enabled', forwardingProtocol: 'HttpsOnly' }), 'pass'],
  ['frontdoor.https-only', route({ supportedProtocols: ['Https'] }), 'pass'],
  ['frontdoor.https-only', route({}), 'fail'],
  ['frontdoor.https-only', route({ supportedProtocols: ['Http', 'Https'], forwardingProtocol: 'HttpsOnly' }), 'fail'],
  ['frontdoor.https-only', route({ httpsRedirect: 'Enabled', forwardingProtocol: 'HttpOnly' }), 'fail'],
  ['frontdoor.https-only', route({ httpsRedirect: 'Enabled', forwardingProtocol: new UnknownValue('parameters') }), 'unknown'],
  ['frontdoor.https-only', route({ supportedProtocols: 'Https' }), 'unknown'],
])('%s on %j', (controlId, spec, expected) => {
  it(`is ${expected}`, () => {
    expect(judge(controlId, spec).status).toBe(expected);
  });
});

describe('environment.behind-edge', () => {
  const edge = profile([securityPolicy([{ id: `${PROFILE_ID}/afdEndpoints/app` }])]);

  it.each([
    ['Disabled', { publicNetworkAccess: 'Disabled' }, 'pass'],
    ['Enabled', { publicNetworkAccess: 'Enabled' }, 'fail'],
    ['absent (the default is Enabled)', {}, 'fail'],
    ['unknown offline', { publicNetworkAccess: new UnknownValue("parameters('access')") }, 'unknown'],
    ['of the wrong type', { publicNetworkAccess: false }, 'unknown'],
  ])('behind an edge, publicNetworkAccess %s is %s', (_what, properties, expected) => {
    expect(judge('environment.behind-edge', managedEnvironment(properties), [edge]).status).toBe(expected);
  });

  it('does not apply without an edge', () => {
    expect(judge('environment.behind-edge', managedEnvironment({ publicNetworkAccess: 'Enabled' })).status).toBe('not-applicable');
  });
});

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

function findingsOf(template: ArmTemplate | Record<string, unknown>) {
  const environment = resolveTemplate(template, { source: { file: 'main.json', value: template } });
  return evaluate(environment, { policy: DEFAULT_GATE_POLICY, now: new Date('2026-12-05T00:00:00Z'), controls: CONTROLS }).findings;
}

const EDGE_CONTROLS = [
  'frontdoor.waf-prevention',
  'frontdoor.waf-default-rules',
  'frontdoor.waf-bot-manager',
  'frontdoor.waf-attached',
  'frontdoor.https-only',
  'environment.behind-edge',
];

function statusesOf(template: ArmTemplate): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const finding of findingsOf(template).filter((f) => EDGE_CONTROLS.includes(f.control) || f.resource.type.includes('Cdn')))
    (result[finding.control] ??= []).push(finding.status);
  return result;
}

/** The rendered template with one resource's properties changed. */
function withChange(template: ArmTemplate, type: string, change: (properties: Record<string, unknown>) => void): ArmTemplate {
  const copy = structuredClone(template);
  const target = copy.resources.find((r: ArmResource) => r.type === type);
  if (!target) throw new Error(`no ${type}`);
  change(target.properties as Record<string, unknown>);
  return copy;
}

describe('the rendered edge, judged as the gate judges the config', () => {
  const template = renderTemplate(defaultConfig());

  it('passes every edge control, the edge logs and its BAA scope', () => {
    const statuses = statusesOf(template);
    for (const id of EDGE_CONTROLS) expect([id, statuses[id]]).toEqual([id, ['pass']]);
    expect(statuses['diagnostics.audit-logs']).toEqual(['pass']);
    // Every Front Door resource is in the BAA's scope (children through the profile).
    expect(statuses['baa.scope']?.every((status) => status === 'pass')).toBe(true);
    const waf = findingsOf(template).filter(
      (f) => f.control === 'baa.scope' && f.resource.type.includes('FrontDoorWebApplicationFirewall'),
    );
    expect(waf.map((f) => f.status)).toEqual(['pass']);
  });

  it('fails a WAF in Detection mode', () => {
    const detection = withChange(template, 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', (properties) => {
      (properties.policySettings as Record<string, unknown>).mode = 'Detection';
    });
    expect(statusesOf(detection)['frontdoor.waf-prevention']).toEqual(['fail']);
  });

  it('fails a public environment behind the edge', () => {
    const open = withChange(template, 'Microsoft.App/managedEnvironments', (properties) => {
      properties.publicNetworkAccess = 'Enabled';
    });
    expect(statusesOf(open)['environment.behind-edge']).toEqual(['fail']);
  });

  it('fails the edge logs when the WAF log is left out', () => {
    const copy = structuredClone(template);
    const setting = copy.resources.find(
      (r: ArmResource) => r.type === 'Microsoft.Insights/diagnosticSettings' && r.scope?.includes('Microsoft.Cdn/profiles'),
    ) as ArmResource;
    (setting.properties as { logs: unknown[] }).logs = [{ category: 'FrontDoorAccessLog', enabled: true }];
    const edgeLogs = findingsOf(copy).filter((f) => f.control === 'diagnostics.audit-logs' && f.resource.type === 'Microsoft.Cdn/profiles');
    expect(edgeLogs.map((f) => f.status)).toEqual(['fail']);
  });

  it('has no edge findings without an edge', () => {
    const statuses = statusesOf(renderTemplate(parseConfigText('edge: {enabled: false}\n', 'c.yml')));
    expect(statuses['environment.behind-edge']).toEqual(['not-applicable']);
    for (const id of EDGE_CONTROLS.slice(0, 5)) expect(statuses[id]).toBeUndefined();
  });
});

describe('users’ templates: unknown and several writers', () => {
  const environmentResource = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'Microsoft.App/managedEnvironments',
    apiVersion: '2026-01-01',
    name: 'env',
    location: 'eastus2',
    properties,
    ...extra,
  });
  const frontDoor = (extra: Record<string, unknown> = {}) => ({
    type: 'Microsoft.Cdn/profiles',
    apiVersion: '2025-06-01',
    name: 'edge',
    location: 'global',
    sku: { name: 'Premium_AzureFrontDoor' },
    properties: {},
    ...extra,
  });
  const statusOf = (resources: unknown[], parameters: Record<string, unknown> = {}) =>
    findingsOf({ $schema: SCHEMA, contentVersion: '1.0.0.0', parameters, resources })
      .filter((f) => f.control === 'environment.behind-edge')
      .map((f) => f.status);

  it('is unknown when the edge may or may not be deployed and the environment is public', () => {
    const parameters = { withEdge: { type: 'bool' } };
    expect(
      statusOf([environmentResource({ publicNetworkAccess: 'Enabled' }), frontDoor({ condition: "[parameters('withEdge')]" })], parameters),
    ).toEqual(['unknown']);
  });

  it('is unknown when publicNetworkAccess comes from a parameter without a value', () => {
    const parameters = { access: { type: 'string' } };
    expect(statusOf([environmentResource({ publicNetworkAccess: "[parameters('access')]" }), frontDoor()], parameters)).toEqual([
      'unknown',
    ]);
  });

  it('judges the declaration ARM applies last when the environment is declared twice', () => {
    const envId = "[resourceId('Microsoft.App/managedEnvironments', 'env')]";
    const first = environmentResource({ publicNetworkAccess: 'Enabled' });
    // Ordered after the first (a deployment that depends on it would be the same): the last write stands.
    const second = environmentResource({ publicNetworkAccess: 'Disabled' }, { dependsOn: [envId] });
    const statuses = statusOf([first, second, frontDoor()]);
    expect(statuses).toContain('pass');
    expect(statuses).not.toContain('fail');
  });
});

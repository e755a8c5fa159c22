import { HIPAA_HITRUST_INITIATIVE } from '../../azure/resource-types.js';
import type { Control } from '../control.js';
import type { JudgedEnvironment, JudgedResource } from '../../arm/deployed.js';
import { appliedLast, isType, read, valueAt, type PropertyValue } from './access.js';
import { fail, notApplicable, pass, unknown } from './rules.js';
import type { ControlResult } from '../control.js';

/**
 * Operating the environment (docs/controls.md, "Operations"): someone is told when the app fails
 * or the audit logs show an attack, an outside test proves the app answers, Defender for Cloud
 * watches the services, and Azure Policy's HITRUST/HIPAA initiative judges the group continuously.
 * Each is judged once per environment: what counts is that the set exists, wherever it is declared.
 *
 * Every requirement is tri-state: met by some resource (pass), possibly met by one whose values
 * cannot be known offline (unknown, which blocks), or met by none (fail). A resource declared more
 * than once counts at the declarations ARM applies last; where those differ, unknown.
 */

const APP = 'Microsoft.App/containerApps';
const ACTION_GROUP = 'Microsoft.Insights/actionGroups';
const METRIC_ALERT = 'Microsoft.Insights/metricAlerts';
const LOG_ALERT = 'Microsoft.Insights/scheduledQueryRules';
const WEB_TEST = 'Microsoft.Insights/webtests';
const PRICING = 'Microsoft.Security/pricings';
const POLICY_ASSIGNMENT = 'Microsoft.Authorization/policyAssignments';

type Met = 'yes' | 'no' | 'unknown';

interface Requirement {
  /** What must exist, for the message: `a 5xx alert on voice-agent`. */
  what: string;
  /** Whether one candidate meets it, and if not, why. */
  judge(candidate: JudgedResource): { met: Met; why?: string };
}

/** The deployed resources of a type, each id at the declarations ARM applies last. */
function finalOfType(environment: JudgedEnvironment, type: string): JudgedResource[][] {
  const byId = new Map<string, JudgedResource[]>();
  for (const resource of environment.resources) {
    if (!isType(resource, type) || resource.notDeployed) continue;
    const key = resource.id.toLowerCase();
    byId.set(key, [...(byId.get(key) ?? []), resource]);
  }
  return [...byId.values()].map((declarations) => appliedLast(declarations, (declaration) => declaration, environment));
}

/** A requirement judged over every candidate: met by any, else unknown when any may meet it, else not met. */
function judgeRequirement(requirement: Requirement, candidates: JudgedResource[][]): { met: Met; why: string } {
  const reasons: string[] = [];
  let maybe = false;
  for (const declarations of candidates) {
    const results = declarations.map((declaration) => requirement.judge(declaration));
    const mets = new Set(results.map((result) => result.met));
    // Declarations ARM may apply last in either order that disagree: the final state cannot be known.
    const met: Met = mets.size === 1 ? (results[0]?.met ?? 'no') : 'unknown';
    if (met === 'yes') return { met, why: `${requirement.what}: ${(declarations[0] as JudgedResource).name}` };
    if (met === 'unknown') maybe = true;
    for (const result of results) if (result.why) reasons.push(`${(declarations[0] as JudgedResource).name} ${result.why}`);
  }
  const detail = reasons.length > 0 ? ` (${reasons.slice(0, 3).join('; ')})` : '';
  return maybe
    ? { met: 'unknown', why: `${requirement.what} cannot be known offline${detail}` }
    : { met: 'no', why: `no ${requirement.what}${detail}` };
}

/** Combines the requirements of one control into its result. */
function combine(results: { met: Met; why: string }[], passMessage: string): ControlResult {
  const missing = results.filter((result) => result.met === 'no');
  if (missing.length > 0) return fail(missing.map((result) => result.why).join('; '));
  const undecided = results.filter((result) => result.met === 'unknown');
  if (undecided.length > 0) return unknown(undecided.map((result) => result.why).join('; '));
  return pass(`${passMessage}: ${results.map((result) => result.why).join('; ')}`);
}

/** A boolean that must be true; absent is judged by `absent`. */
function isTrue(value: PropertyValue, name: string, absent: { met: Met; why?: string }): { met: Met; why?: string } {
  if (value.kind === 'unknown') return { met: 'unknown', why: `${name} cannot be known offline` };
  if (value.kind === 'absent') return absent;
  if (typeof value.value !== 'boolean') return { met: 'unknown', why: `${name} is ${JSON.stringify(value.value)}, not a boolean` };
  return value.value ? { met: 'yes' } : { met: 'no', why: `has ${name} false` };
}

/** A list read as a list: its items, or what stops it being one. */
function listAt(resource: JudgedResource, path: string[]): { items: unknown[] } | { met: Met; why: string } {
  const value = read(resource, path);
  const name = path.slice(1).join('.');
  if (value.kind === 'unknown') return { met: 'unknown', why: `${name} cannot be known offline` };
  if (value.kind === 'absent') return { items: [] };
  if (!Array.isArray(value.value)) return { met: 'unknown', why: `${name} is not a list` };
  return { items: value.value };
}

/** An alert notifies someone: at least one action group in its actions (metric: actions[].actionGroupId; log: actions.actionGroups[]). */
function notifies(alert: JudgedResource): { met: Met; why?: string } {
  const metric = isType(alert, METRIC_ALERT);
  const list = listAt(alert, metric ? ['properties', 'actions'] : ['properties', 'actions', 'actionGroups']);
  if (!('items' in list)) return list;
  const ids = list.items.map((item) => (metric ? valueAt(item, ['actionGroupId']) : valueAt(item, [])));
  if (ids.some((id) => id.kind === 'known' && typeof id.value === 'string' && id.value !== '')) return { met: 'yes' };
  if (ids.some((id) => id.kind === 'unknown')) return { met: 'unknown', why: 'has an action group that cannot be known offline' };
  return { met: 'no', why: 'notifies no action group' };
}

/** All of several conditions: the first that is not met decides. */
function allOf(...checks: (() => { met: Met; why?: string })[]): { met: Met; why?: string } {
  let undecided: { met: Met; why?: string } | undefined;
  for (const check of checks) {
    const result = check();
    if (result.met === 'no') return result;
    if (result.met === 'unknown') undecided ??= result;
  }
  return undecided ?? { met: 'yes' };
}

function enabled(alert: JudgedResource): { met: Met; why?: string } {
  // Both alert types require `enabled`; an absent one is an invalid rule, never taken as on.
  return isTrue(read(alert, ['properties', 'enabled']), 'enabled', { met: 'no', why: 'does not set enabled' });
}

function scopedTo(alert: JudgedResource, targetId: string): { met: Met; why?: string } {
  const list = listAt(alert, ['properties', 'scopes']);
  if (!('items' in list)) return list;
  const scopes = list.items.map((item) => valueAt(item, []));
  if (
    scopes.some(
      (scope) => scope.kind === 'known' && typeof scope.value === 'string' && scope.value.toLowerCase() === targetId.toLowerCase(),
    )
  )
    return { met: 'yes' };
  if (scopes.some((scope) => scope.kind === 'unknown')) return { met: 'unknown', why: 'has a scope that cannot be known offline' };
  return { met: 'no', why: 'watches another resource' };
}

/** A metric alert on `metrics` of the resource `targetId`, enabled, notifying an action group. */
function metricAlertOn(targetId: string, targetName: string, what: string, metrics: readonly string[]): Requirement {
  const wanted = metrics.map((metric) => metric.toLowerCase());
  return {
    what: `enabled alert on ${what} of ${targetName} that notifies an action group`,
    judge: (alert) =>
      allOf(
        () => enabled(alert),
        () => scopedTo(alert, targetId),
        () => {
          const list = listAt(alert, ['properties', 'criteria', 'allOf']);
          if (!('items' in list)) return list;
          const names = list.items.map((item) => valueAt(item, ['metricName']));
          if (names.some((name) => name.kind === 'known' && typeof name.value === 'string' && wanted.includes(name.value.toLowerCase())))
            return { met: 'yes' };
          if (names.some((name) => name.kind === 'unknown')) return { met: 'unknown', why: 'has a metric that cannot be known offline' };
          return { met: 'no', why: `watches other metrics than ${metrics.join(' or ')}` };
        },
        () => notifies(alert),
      ),
  };
}

/** A log search alert whose query reads `table`, enabled, notifying an action group. */
function logAlertOn(table: string, what: string): Requirement {
  return {
    what: `enabled log search alert on ${what} (${table}) that notifies an action group`,
    judge: (alert) =>
      allOf(
        () => enabled(alert),
        () => {
          const list = listAt(alert, ['properties', 'criteria', 'allOf']);
          if (!('items' in list)) return list;
          const queries = list.items.map((item) => valueAt(item, ['query']));
          if (
            queries.some(
              (query) => query.kind === 'known' && typeof query.value === 'string' && new RegExp(`\\b${table}\\b`, 'i').test(query.value),
            )
          )
            return { met: 'yes' };
          if (queries.some((query) => query.kind === 'unknown')) return { met: 'unknown', why: 'has a query that cannot be known offline' };
          return { met: 'no', why: `does not query ${table}` };
        },
        () => notifies(alert),
      ),
  };
}

function deployed(environment: JudgedEnvironment, type: string): JudgedResource[] {
  return environment.resources.filter((resource) => isType(resource, type) && !resource.notDeployed);
}

/** The app's `minReplicas`, when known: an app that may scale to zero has no replica when idle. */
function mayScaleToZero(app: JudgedResource): boolean {
  const min = read(app, ['properties', 'template', 'scale', 'minReplicas']);
  return min.kind === 'absent' || (min.kind === 'known' && min.value === 0);
}

const ACTION_GROUP_RECEIVERS = [
  'emailReceivers',
  'smsReceivers',
  'webhookReceivers',
  'armRoleReceivers',
  'voiceReceivers',
  'azureAppPushReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'itsmReceivers',
  'automationRunbookReceivers',
  'eventHubReceivers',
] as const;

export const operationsControls: Control[] = [
  {
    id: 'monitoring.action-group',
    title: 'An action group with a receiver is there to be paged',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(6)(ii)'],
    appliesTo: 'environment',
    remediation:
      'Add a Microsoft.Insights/actionGroups resource with enabled: true and at least one receiver (email, SMS, voice, webhook or an Azure Resource Manager role) (config: operations.actionGroup).',
    evaluate(_resource, { environment }) {
      const requirement: Requirement = {
        what: 'enabled action group with a receiver',
        judge: (group) =>
          allOf(
            () => isTrue(read(group, ['properties', 'enabled']), 'enabled', { met: 'no', why: 'does not set enabled' }),
            () => {
              let undecided = false;
              for (const kind of ACTION_GROUP_RECEIVERS) {
                const list = listAt(group, ['properties', kind]);
                if (!('items' in list)) undecided = true;
                else if (list.items.length > 0) return { met: 'yes' };
              }
              return undecided
                ? { met: 'unknown', why: 'has receivers that cannot be known offline' }
                : { met: 'no', why: 'has no receiver' };
            },
          ),
      };
      return combine([judgeRequirement(requirement, finalOfType(environment, ACTION_GROUP))], 'found');
    },
  },
  {
    id: 'monitoring.alerts',
    title: 'The app and the audit logs have alerts that page someone',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(6)(ii)', '164.312(b)'],
    appliesTo: 'environment',
    remediation:
      'For each container app add enabled metric alerts (Microsoft.Insights/metricAlerts) on Requests (5xx), RestartCount, Replicas (unless it may scale to zero), UsageNanoCores or CpuPercentage and WorkingSetBytes or MemoryPercentage, and a log search alert (Microsoft.Insights/scheduledQueryRules) on ContainerAppHTTPLogs for the share of 5xx responses; with a Key Vault, a log search alert (Microsoft.Insights/scheduledQueryRules) on AZKVAuditLogs; with a SQL server, one on SQLSecurityAuditEvents; each with an action group (config: operations.alerts).',
    evaluate(_resource, { environment }) {
      const metricAlerts = finalOfType(environment, METRIC_ALERT);
      const logAlerts = finalOfType(environment, LOG_ALERT);
      const requirements: { requirement: Requirement; candidates: JudgedResource[][] }[] = [];
      for (const app of deployed(environment, APP)) {
        const on = (what: string, metrics: readonly string[]) =>
          requirements.push({ requirement: metricAlertOn(app.id, app.name, what, metrics), candidates: metricAlerts });
        on('5xx responses', ['Requests']);
        // The share needs the HTTP logs: a platform metric alert cannot divide two metrics.
        requirements.push({ requirement: logAlertOn('ContainerAppHTTPLogs', 'the share of 5xx responses'), candidates: logAlerts });
        on('restarts', ['RestartCount']);
        if (!mayScaleToZero(app)) on('running replicas', ['Replicas']);
        on('CPU', ['UsageNanoCores', 'CpuPercentage']);
        on('memory', ['WorkingSetBytes', 'MemoryPercentage']);
      }
      if (deployed(environment, 'Microsoft.KeyVault/vaults').length > 0)
        requirements.push({ requirement: logAlertOn('AZKVAuditLogs', 'Key Vault access'), candidates: logAlerts });
      if (deployed(environment, 'Microsoft.Sql/servers').length > 0)
        requirements.push({ requirement: logAlertOn('SQLSecurityAuditEvents', 'SQL logins'), candidates: logAlerts });
      if (requirements.length === 0) return notApplicable('no container app, Key Vault or SQL server to watch');
      return combine(
        requirements.map(({ requirement, candidates }) => judgeRequirement(requirement, candidates)),
        'every alert of the set is there',
      );
    },
  },
  {
    id: 'monitoring.availability-test',
    title: 'A standard availability test probes the app from several locations, with an alert',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(C)', '164.308(a)(1)(ii)(D)'],
    appliesTo: 'environment',
    remediation:
      'Add a Microsoft.Insights/webtests resource with properties.Kind "standard", Enabled true and at least three Locations, and a metric alert with WebtestLocationAvailabilityCriteria on it that notifies an action group (config: operations.availability; an internal app needs operations.availability.url).',
    evaluate(_resource, { environment }) {
      if (deployed(environment, APP).length === 0) return notApplicable('no container app to probe');
      const tests = finalOfType(environment, WEB_TEST);
      const alerts = finalOfType(environment, METRIC_ALERT);
      const alertOn = (test: JudgedResource): { met: Met; why?: string } => {
        const requirement: Requirement = {
          what: `enabled availability alert on ${test.name}`,
          judge: (alert) =>
            allOf(
              () => enabled(alert),
              () => {
                const kind = read(alert, ['properties', 'criteria', 'odata.type']);
                const webTestId = read(alert, ['properties', 'criteria', 'webTestId']);
                if (kind.kind === 'unknown' || webTestId.kind === 'unknown')
                  return { met: 'unknown', why: 'has criteria that cannot be known offline' };
                const matches =
                  kind.kind === 'known' &&
                  String(kind.value).toLowerCase() === 'microsoft.azure.monitor.webtestlocationavailabilitycriteria' &&
                  webTestId.kind === 'known' &&
                  String(webTestId.value).toLowerCase() === test.id.toLowerCase();
                return matches ? { met: 'yes' } : { met: 'no', why: `does not watch ${test.name}` };
              },
              () => notifies(alert),
            ),
        };
        const result = judgeRequirement(requirement, alerts);
        return result.met === 'yes' ? { met: 'yes' } : { met: result.met, why: result.why };
      };
      const requirement: Requirement = {
        what: 'enabled standard availability test from three or more locations with an alert',
        judge: (test) =>
          allOf(
            () => {
              // Without Kind a web test is a URL ping test, which Microsoft retires on 2026-09-30.
              const kind = read(test, ['properties', 'Kind']);
              if (kind.kind === 'unknown') return { met: 'unknown', why: 'has a Kind that cannot be known offline' };
              if (kind.kind === 'known' && typeof kind.value === 'string' && kind.value.toLowerCase() === 'standard') return { met: 'yes' };
              return {
                met: 'no',
                why: `is of kind ${kind.kind === 'known' ? JSON.stringify(kind.value) : 'ping (the default)'}, not standard`,
              };
            },
            () => isTrue(read(test, ['properties', 'Enabled']), 'Enabled', { met: 'no', why: 'is not Enabled (the default is off)' }),
            () => {
              const list = listAt(test, ['properties', 'Locations']);
              if (!('items' in list)) return list;
              return list.items.length >= 3
                ? { met: 'yes' }
                : { met: 'no', why: `tests from ${list.items.length} location(s), fewer than three` };
            },
            () => alertOn(test),
          ),
      };
      return combine([judgeRequirement(requirement, tests)], 'found');
    },
  },
  {
    id: 'defender.plans',
    title: 'Microsoft Defender for Cloud watches the services in use',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(5)(ii)(B)', '164.308(a)(6)(ii)'],
    appliesTo: 'environment',
    remediation:
      'Set the subscription’s Microsoft.Security/pricings to pricingTier "Standard" for the plans of the services in use: Containers, KeyVaults, SqlServers, StorageAccounts, CosmosDbs and Arm (config: operations.defender; provision deploys them separately and needs Security Admin on the subscription).',
    evaluate(_resource, { environment }) {
      const uses = (type: string) => deployed(environment, type).length > 0;
      const needed: [string, boolean][] = [
        ['Containers', uses(APP) || uses('Microsoft.ContainerRegistry/registries')],
        ['KeyVaults', uses('Microsoft.KeyVault/vaults')],
        ['SqlServers', uses('Microsoft.Sql/servers')],
        ['StorageAccounts', uses('Microsoft.Storage/storageAccounts')],
        ['CosmosDbs', uses('Microsoft.DocumentDB/databaseAccounts')],
        ['Arm', true],
      ];
      const pricings = finalOfType(environment, PRICING);
      const results = needed
        .filter(([, inUse]) => inUse)
        .map(([plan]) =>
          judgeRequirement(
            {
              what: `${plan} plan on Standard`,
              judge: (pricing) => {
                if (pricing.name.split('/').at(-1)?.toLowerCase() !== plan.toLowerCase()) return { met: 'no' };
                const tier = read(pricing, ['properties', 'pricingTier']);
                if (tier.kind === 'unknown') return { met: 'unknown', why: 'has a pricingTier that cannot be known offline' };
                // Absent, the plan is Free: Defender is off.
                if (tier.kind === 'known' && typeof tier.value === 'string' && tier.value.toLowerCase() === 'standard')
                  return { met: 'yes' };
                return { met: 'no', why: `is ${tier.kind === 'known' ? JSON.stringify(tier.value) : 'Free (pricingTier is not set)'}` };
              },
            },
            pricings,
          ),
        );
      return combine(results, 'Defender is on');
    },
  },
  {
    id: 'policy.hipaa-initiative',
    title: 'Azure Policy’s HITRUST/HIPAA initiative is assigned to the environment',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(8)'],
    appliesTo: 'environment',
    remediation: `Assign the built-in initiative ${HIPAA_HITRUST_INITIATIVE} (HITRUST/HIPAA) to the resource group or its subscription with a Microsoft.Authorization/policyAssignments resource (config: operations.policy.hipaaInitiative).`,
    evaluate(_resource, { environment }) {
      const requirement: Requirement = {
        what: 'assignment of the HITRUST/HIPAA initiative',
        judge: (assignment) => {
          const definition = read(assignment, ['properties', 'policyDefinitionId']);
          if (definition.kind === 'unknown') return { met: 'unknown', why: 'assigns a definition that cannot be known offline' };
          if (
            definition.kind === 'known' &&
            typeof definition.value === 'string' &&
            definition.value.toLowerCase().endsWith(HIPAA_HITRUST_INITIATIVE.toLowerCase())
          )
            return { met: 'yes' };
          return { met: 'no', why: 'assigns another definition' };
        },
      };
      return combine([judgeRequirement(requirement, finalOfType(environment, POLICY_ASSIGNMENT))], 'found');
    },
  },
];

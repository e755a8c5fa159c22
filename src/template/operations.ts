import type { Table } from '@azure/arm-operationalinsights';
import { appHostExpression } from './edge.js';
import { apiVersionOf, HIPAA_HITRUST_INITIATIVE } from '../azure/resource-types.js';
import type { OperationsConfig } from '../config/operations-schema.js';
import type { JsonPath } from '../core/json-path.js';
import type { ArmResource, FlattenedProperties } from './arm-types.js';
import { CONTAINER_APP_HTTP_LOGS } from './platform.js';
import { inner, literal, quote, reference, resourceId, resourceIdExpression, type TemplateBuilder } from './builder.js';

/**
 * Operating the environment: the action group, the alerts, Application Insights with a standard
 * availability test, Azure Policy's HITRUST/HIPAA initiative and the cost budget, all in the
 * resource group's template; Defender for Cloud's plans in a subscription-scope template of their
 * own (`renderDefenderTemplate`), because they need a role on the subscription that the group's
 * deployment does not.
 *
 * No installed SDK models these api-versions (arm-monitor 7 predates them; there is no
 * arm-security, arm-policy or arm-consumption here): the wire shapes below are written from the
 * official ARM schemas in reference/arm-schemas, which validate every body in the tests.
 */

/** Azure's built-in Owner role (learn.microsoft.com, "Azure built-in roles"): the action group's default receiver. */
export const OWNER_ROLE = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
export const SUBSCRIPTION_TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#';

const ORIGIN: JsonPath = ['operations'];
const ACTION_GROUP = 'Microsoft.Insights/actionGroups';
const METRIC_ALERT = 'Microsoft.Insights/metricAlerts';
const LOG_ALERT = 'Microsoft.Insights/scheduledQueryRules';
const COMPONENT = 'Microsoft.Insights/components';
const WEB_TEST = 'Microsoft.Insights/webtests';
const POLICY_ASSIGNMENT = 'Microsoft.Authorization/policyAssignments';
const BUDGET = 'Microsoft.Consumption/budgets';
const PRICING = 'Microsoft.Security/pricings';
const APP = 'Microsoft.App/containerApps';

// Wire shapes (see the module comment).
interface ActionGroupProperties {
  groupShortName: string;
  enabled: boolean;
  emailReceivers: { name: string; emailAddress: string; useCommonAlertSchema: boolean }[];
  webhookReceivers: { name: string; serviceUri: string; useCommonAlertSchema: boolean }[];
  armRoleReceivers: { name: string; roleId: string; useCommonAlertSchema: boolean }[];
}
interface MetricCriterion {
  criterionType: 'StaticThresholdCriterion';
  name: string;
  metricName: string;
  metricNamespace: string;
  operator: 'GreaterThan' | 'LessThan';
  threshold: number;
  timeAggregation: 'Average' | 'Maximum' | 'Minimum' | 'Total';
  dimensions?: { name: string; operator: 'Include'; values: string[] }[];
}
type MetricAlertCriteria =
  | { 'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'; allOf: MetricCriterion[] }
  | {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria';
      webTestId: string;
      componentId: string;
      failedLocationCount: number;
    };
interface MetricAlertProperties {
  description: string;
  severity: number;
  enabled: boolean;
  scopes: string[];
  evaluationFrequency: string;
  windowSize: string;
  targetResourceType?: string;
  criteria: MetricAlertCriteria;
  autoMitigate: boolean;
  actions: { actionGroupId: string }[];
}
interface LogAlertProperties {
  displayName: string;
  description: string;
  severity: number;
  enabled: boolean;
  scopes: string[];
  evaluationFrequency: string;
  windowSize: string;
  criteria: {
    allOf: {
      query: string;
      timeAggregation: 'Count';
      operator: 'GreaterThan';
      threshold: number;
      failingPeriods: { numberOfEvaluationPeriods: number; minFailingPeriodsToAlert: number };
    }[];
  };
  autoMitigate: boolean;
  actions: { actionGroups: string[] };
}
interface ComponentProperties {
  Application_Type: 'web';
  WorkspaceResourceId: string;
  IngestionMode: 'LogAnalytics';
  DisableLocalAuth: boolean;
  publicNetworkAccessForIngestion: 'Enabled';
  publicNetworkAccessForQuery: 'Enabled';
}
interface WebTestProperties {
  SyntheticMonitorId: string;
  Name: string;
  Description: string;
  Enabled: boolean;
  Frequency: number;
  Timeout: number;
  Kind: 'standard';
  RetryEnabled: boolean;
  Locations: { Id: string }[];
  Request: { RequestUrl: string; HttpVerb: 'GET'; ParseDependentRequests: boolean };
  ValidationRules: { ExpectedHttpStatusCode: number; SSLCheck: boolean; SSLCertRemainingLifetimeCheck: number };
}
interface PolicyAssignmentProperties {
  displayName: string;
  description: string;
  policyDefinitionId: string;
  enforcementMode: 'DoNotEnforce';
}
interface BudgetNotification {
  enabled: boolean;
  operator: 'GreaterThanOrEqualTo';
  threshold: number;
  thresholdType: 'Actual' | 'Forecasted';
  contactEmails: string[];
  contactGroups: string[];
  contactRoles: string[];
}
interface BudgetProperties {
  category: 'Cost';
  amount: number;
  timeGrain: 'Monthly';
  timePeriod: { startDate: string };
  notifications: Record<string, BudgetNotification>;
}
interface PricingProperties {
  pricingTier: 'Standard';
  subPlan?: string;
}

/** The resource group's operations resources. */
export function renderOperations(b: TemplateBuilder): void {
  const operations = b.config.operations;
  const actionGroupId = renderActionGroup(b, operations);
  renderAppAlerts(b, operations, actionGroupId);
  renderLogAlerts(b, operations, actionGroupId);
  renderAvailability(b, operations, actionGroupId);
  if (operations.policy.hipaaInitiative) renderHipaaInitiative(b, operations);
  if (operations.budget.enabled) renderBudget(b, operations, actionGroupId);
}

function renderActionGroup(b: TemplateBuilder, operations: OperationsConfig): string {
  const { actionGroup } = operations;
  const group = b.add<ActionGroupProperties>([...ORIGIN, 'actionGroup'], {
    type: ACTION_GROUP,
    name: literal(actionGroup.name),
    // Action groups are global resources.
    location: 'Global',
    tags: b.tags(),
    properties: {
      groupShortName: literal(actionGroup.shortName),
      enabled: true,
      emailReceivers: actionGroup.emails.map((emailAddress, index) => ({
        name: `email-${index + 1}`,
        emailAddress: literal(emailAddress),
        useCommonAlertSchema: true,
      })),
      webhookReceivers: actionGroup.webhook
        ? [{ name: 'webhook', serviceUri: literal(actionGroup.webhook), useCommonAlertSchema: true }]
        : [],
      armRoleReceivers: actionGroup.notifyOwners ? [{ name: 'subscription-owners', roleId: OWNER_ROLE, useCommonAlertSchema: true }] : [],
    },
  });
  return resourceIdExpression(group);
}

/** A metric alert on the container app: one criterion, evaluated every five minutes. */
function appAlert(
  b: TemplateBuilder,
  actionGroupId: string,
  alert: { name: string; description: string; severity: number; windowSize: string; criterion: MetricCriterion },
): void {
  const appId = resourceId(APP, b.config.containerApp.name);
  b.add<MetricAlertProperties>([...ORIGIN, 'alerts'], {
    type: METRIC_ALERT,
    name: literal(`${b.config.containerApp.name}-${alert.name}`),
    location: 'global',
    tags: b.tags(),
    properties: {
      description: alert.description,
      severity: alert.severity,
      enabled: true,
      scopes: [appId],
      evaluationFrequency: 'PT5M',
      windowSize: alert.windowSize,
      targetResourceType: APP,
      criteria: { 'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria', allOf: [alert.criterion] },
      autoMitigate: true,
      actions: [{ actionGroupId }],
    },
    dependsOn: [appId, actionGroupId],
  });
}

/** Container Apps platform metrics (learn.microsoft.com, "Supported metrics for Microsoft.App/containerapps"). */
function renderAppAlerts(b: TemplateBuilder, operations: OperationsConfig, actionGroupId: string): void {
  const { alerts } = operations;
  const app = b.config.containerApp;
  const metric = (name: string, metricName: string) => ({
    criterionType: 'StaticThresholdCriterion' as const,
    name,
    metricName,
    metricNamespace: APP,
  });
  appAlert(b, actionGroupId, {
    name: 'http-5xx',
    description: `More than ${alerts.http5xxPer15Minutes} responses with a 5xx status in 15 minutes: callers are getting errors.`,
    severity: 1,
    windowSize: 'PT15M',
    criterion: {
      ...metric('http-5xx', 'Requests'),
      dimensions: [{ name: 'statusCodeCategory', operator: 'Include', values: ['5xx'] }],
      operator: 'GreaterThan',
      threshold: alerts.http5xxPer15Minutes,
      timeAggregation: 'Total',
    },
  });
  // An app allowed to scale to zero has no running replica when idle: nothing to page about then.
  if (app.minReplicas > 0)
    appAlert(b, actionGroupId, {
      name: 'no-replica',
      description: 'No replica of the app has run for 5 minutes: the app is down.',
      severity: 1,
      windowSize: 'PT5M',
      criterion: { ...metric('no-replica', 'Replicas'), operator: 'LessThan', threshold: 1, timeAggregation: 'Maximum' },
    });
  appAlert(b, actionGroupId, {
    name: 'restarts',
    description: `The app's containers restarted more than ${alerts.restarts} times in 30 minutes (crash loop, failing probes or out of memory).`,
    severity: 2,
    windowSize: 'PT30M',
    criterion: { ...metric('restarts', 'RestartCount'), operator: 'GreaterThan', threshold: alerts.restarts, timeAggregation: 'Total' },
  });
  // Thresholds in the metrics' own units, from the app's configured size.
  appAlert(b, actionGroupId, {
    name: 'cpu',
    description: `Average CPU above ${alerts.cpuPercent}% of ${app.cpu} cores for 30 minutes: raise maxReplicas or cpu.`,
    severity: 3,
    windowSize: 'PT30M',
    criterion: {
      ...metric('cpu', 'UsageNanoCores'),
      operator: 'GreaterThan',
      threshold: Math.round(app.cpu * 1e9 * (alerts.cpuPercent / 100)),
      timeAggregation: 'Average',
    },
  });
  appAlert(b, actionGroupId, {
    name: 'memory',
    description: `Average memory above ${alerts.memoryPercent}% of ${app.memory} for 30 minutes: the app may soon run out of memory.`,
    severity: 3,
    windowSize: 'PT30M',
    criterion: {
      ...metric('memory', 'WorkingSetBytes'),
      operator: 'GreaterThan',
      threshold: Math.round(Number.parseFloat(app.memory) * 2 ** 30 * (alerts.memoryPercent / 100)),
      timeAggregation: 'Average',
    },
  });
}

/** Log search alerts on the workspace's audit tables (Key Vault's AZKVAuditLogs, SQL's SQLSecurityAuditEvents). */
function renderLogAlerts(b: TemplateBuilder, operations: OperationsConfig, actionGroupId: string): void {
  const { alerts } = operations;
  const workspace = b.config.logAnalytics.name;
  const tableId = (table: string) => resourceId('Microsoft.OperationalInsights/workspaces/tables', workspace, table);
  const rules = [
    {
      name: 'key-vault-access-denied',
      description: 'Key Vault refused a request (403): someone or something without a role tried to read or change the vault.',
      severity: 2,
      windowSize: 'PT15M',
      evaluationFrequency: 'PT5M',
      query: 'AZKVAuditLogs | where HttpStatusCode == 403 or ResultSignature =~ "Forbidden"',
      threshold: 0,
      table: 'AZKVAuditLogs',
    },
    {
      name: 'key-vault-unusual-secret-reads',
      description: `One caller read secrets more than ${alerts.secretReadsPerHour} times in an hour: the app reads its few secrets when it starts.`,
      severity: 2,
      windowSize: 'PT1H',
      evaluationFrequency: 'PT15M',
      query: `AZKVAuditLogs | where OperationName in ("SecretGet", "SecretList", "SecretListVersions") | summarize Reads = count() by CallerIpAddress | where Reads > ${alerts.secretReadsPerHour}`,
      threshold: 0,
      table: 'AZKVAuditLogs',
    },
    {
      name: 'sql-failed-logins',
      description: `More than ${alerts.sqlFailedLogins} failed SQL logins in 15 minutes: a misconfigured client or someone guessing.`,
      severity: 2,
      windowSize: 'PT15M',
      evaluationFrequency: 'PT5M',
      query: `SQLSecurityAuditEvents | where ActionId == "DBAF" | summarize Failures = count() | where Failures > ${alerts.sqlFailedLogins}`,
      threshold: 0,
      table: 'SQLSecurityAuditEvents',
    },
    {
      name: 'http-5xx-share',
      description: `More than ${alerts.http5xxPercent}% of the app's requests in 15 minutes answered 5xx (at least ${alerts.http5xxMinRequests} requests): callers are getting errors.`,
      severity: 1,
      windowSize: 'PT15M',
      evaluationFrequency: 'PT5M',
      // One record per request the environment's ingress handled (the HTTP logs its diagnostic setting sends).
      query: `ContainerAppHTTPLogs | where ContainerAppName == "${b.config.containerApp.name}" | summarize Requests = count(), Errors = countif(toint(StatusCode) >= 500) | where Requests >= ${alerts.http5xxMinRequests} and Errors * 100.0 / Requests > ${alerts.http5xxPercent}`,
      threshold: 0,
      table: CONTAINER_APP_HTTP_LOGS,
    },
  ];
  // The HTTP logs are no audit table, so nothing else declares it; the alert's query needs it to exist.
  b.add<FlattenedProperties<Table>>([...ORIGIN, 'alerts'], {
    type: 'Microsoft.OperationalInsights/workspaces/tables',
    name: `${workspace}/${CONTAINER_APP_HTTP_LOGS}`,
    properties: {},
    dependsOn: [b.workspaceId],
  });
  for (const rule of rules)
    b.add<LogAlertProperties>([...ORIGIN, 'alerts'], {
      type: LOG_ALERT,
      name: literal(`${workspace}-${rule.name}`),
      location: b.location,
      kind: 'LogAlert',
      tags: b.tags(),
      properties: {
        displayName: rule.name,
        description: rule.description,
        severity: rule.severity,
        enabled: true,
        scopes: [b.workspaceId],
        evaluationFrequency: rule.evaluationFrequency,
        windowSize: rule.windowSize,
        criteria: {
          allOf: [
            {
              query: rule.query,
              timeAggregation: 'Count',
              operator: 'GreaterThan',
              threshold: rule.threshold,
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            },
          ],
        },
        autoMitigate: true,
        actions: { actionGroups: [actionGroupId] },
      },
      // ARM checks the query against the workspace: its tables must exist first.
      dependsOn: [b.workspaceId, tableId(rule.table), actionGroupId],
    });
}

function renderAvailability(b: TemplateBuilder, operations: OperationsConfig, actionGroupId: string): void {
  const { availability } = operations;
  const componentName = operations.applicationInsightsName;
  const componentId = resourceId(COMPONENT, componentName);
  b.add<ComponentProperties>([...ORIGIN, 'applicationInsightsName'], {
    type: COMPONENT,
    name: literal(componentName),
    location: b.location,
    kind: 'web',
    tags: b.tags(),
    properties: {
      Application_Type: 'web',
      // Workspace-based: its data lands in the environment's workspace, under its retention.
      WorkspaceResourceId: b.workspaceId,
      IngestionMode: 'LogAnalytics',
      // Microsoft Entra only: no instrumentation key accepts telemetry on its own.
      DisableLocalAuth: true,
      // Availability results arrive from Azure's test locations over the public network.
      publicNetworkAccessForIngestion: 'Enabled',
      publicNetworkAccessForQuery: 'Enabled',
    },
    dependsOn: [b.workspaceId],
  });
  const url = healthAddress(b, availability.url);
  if (!availability.enabled || url === undefined) return;
  const appId = resourceId(APP, b.config.containerApp.name);
  const testName = `${b.config.containerApp.name}-health`;
  const test = b.add<WebTestProperties>([...ORIGIN, 'availability'], {
    type: WEB_TEST,
    name: literal(testName),
    location: b.location,
    kind: 'standard',
    // Azure links a test to its component by this tag.
    tags: { ...b.tags(), [`[concat('hidden-link:', ${inner(componentId)})]`]: 'Resource' },
    properties: {
      SyntheticMonitorId: literal(testName),
      Name: literal(testName),
      Description: 'The app’s health address, from several locations.',
      Enabled: true,
      Frequency: availability.frequencySeconds,
      Timeout: 30,
      Kind: 'standard',
      RetryEnabled: true,
      Locations: availability.locations.map((Id) => ({ Id })),
      Request: { RequestUrl: url, HttpVerb: 'GET', ParseDependentRequests: false },
      ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: true, SSLCertRemainingLifetimeCheck: 7 },
    },
    dependsOn: availability.url === undefined ? [componentId, appId] : [componentId],
  });
  const testId = resourceIdExpression(test);
  b.add<MetricAlertProperties>([...ORIGIN, 'availability'], {
    type: METRIC_ALERT,
    name: literal(`${testName}-availability`),
    location: 'global',
    tags: b.tags(),
    properties: {
      description: `The health address failed from ${availability.failedLocations} or more locations: patients cannot reach the app.`,
      severity: 1,
      enabled: true,
      scopes: [testId, componentId],
      evaluationFrequency: 'PT1M',
      windowSize: 'PT5M',
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
        webTestId: testId,
        componentId,
        failedLocationCount: availability.failedLocations,
      },
      autoMitigate: true,
      actions: [{ actionGroupId }],
    },
    dependsOn: [testId, componentId, actionGroupId],
  });
}

/** The configured address, or the app's own (external ingress only: Azure's test locations are on the internet). */
function healthAddress(b: TemplateBuilder, configured: string | undefined): string | undefined {
  if (configured !== undefined) return literal(configured);
  const app = b.config.containerApp;
  // Behind the edge the environment refuses the internet: the test goes where callers go.
  if (b.config.edge.enabled) return `[format('https://{0}{1}', ${inner(appHostExpression(b.config.edge))}, ${quote(app.healthPath)})]`;
  if (app.ingress !== 'external') return undefined;
  const fqdn = reference(resourceId(APP, app.name), APP, 'configuration.ingress.fqdn');
  return `[format('https://{0}{1}', ${inner(fqdn)}, ${quote(app.healthPath)})]`;
}

function renderHipaaInitiative(b: TemplateBuilder, operations: OperationsConfig): void {
  b.add<PolicyAssignmentProperties>([...ORIGIN, 'policy'], {
    type: POLICY_ASSIGNMENT,
    name: literal(operations.policy.assignmentName),
    // The initiative holds deployIfNotExists policies: Azure requires an identity (and so a location) on the assignment.
    location: b.location,
    identity: { type: 'SystemAssigned' },
    properties: {
      displayName: 'HITRUST/HIPAA',
      description: `Azure Policy's built-in HITRUST/HIPAA initiative on ${b.config.resourceGroup}, audit only: Azure evaluates the group continuously and the live gate reads its verdicts.`,
      policyDefinitionId: HIPAA_HITRUST_INITIATIVE,
      // Audit effects only: evaluate and report, never deny or change a deployment.
      enforcementMode: 'DoNotEnforce',
    },
  });
}

function renderBudget(b: TemplateBuilder, operations: OperationsConfig, actionGroupId: string): void {
  const { budget, actionGroup } = operations;
  const notify = (threshold: number, thresholdType: 'Actual' | 'Forecasted'): BudgetNotification => ({
    enabled: true,
    operator: 'GreaterThanOrEqualTo',
    threshold,
    thresholdType,
    contactEmails: actionGroup.emails.map(literal),
    contactGroups: [actionGroupId],
    contactRoles: ['Owner'],
  });
  const notifications: Record<string, BudgetNotification> = Object.fromEntries(
    budget.thresholds.map((threshold) => [`actual-${threshold}`, notify(threshold, 'Actual')]),
  );
  notifications['forecast-100'] = notify(100, 'Forecasted');
  b.add<BudgetProperties>([...ORIGIN, 'budget'], {
    type: BUDGET,
    name: literal(budget.name),
    properties: {
      category: 'Cost',
      amount: budget.amount,
      timeGrain: 'Monthly',
      timePeriod: { startDate: `${budget.startDate}T00:00:00Z` },
      notifications,
    },
    dependsOn: [actionGroupId],
  });
}

/** Sub-plans Defender for Cloud recommends where a plan has several (learn.microsoft.com, "Microsoft Defender for Cloud plans"). */
const DEFENDER_SUB_PLANS: Readonly<Record<string, string>> = {
  StorageAccounts: 'DefenderForStorageV2',
  KeyVaults: 'PerKeyVault',
  Arm: 'PerSubscription',
};

export interface SubscriptionTemplate {
  $schema: typeof SUBSCRIPTION_TEMPLATE_SCHEMA;
  contentVersion: string;
  metadata: { description: string };
  resources: ArmResource[];
}

/**
 * Defender for Cloud's plans for the services in use, as a subscription-scope template; undefined
 * when `operations.defender.enabled` is false. One plan after another: the Security provider
 * refuses concurrent changes to a subscription's pricings.
 */
export function renderDefenderTemplate(operations: OperationsConfig): SubscriptionTemplate | undefined {
  if (!operations.defender.enabled) return undefined;
  const resources: ArmResource[] = [];
  let previous: string | undefined;
  for (const plan of operations.defender.plans) {
    const subPlan = DEFENDER_SUB_PLANS[plan];
    const properties: PricingProperties = { pricingTier: 'Standard', ...(subPlan ? { subPlan } : {}) };
    resources.push({
      type: PRICING,
      apiVersion: apiVersionOf(PRICING),
      name: plan,
      properties,
      ...(previous ? { dependsOn: [previous] } : {}),
    });
    previous = `[subscriptionResourceId(${quote(PRICING)}, ${quote(plan)})]`;
  }
  return {
    $schema: SUBSCRIPTION_TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: { description: 'Microsoft Defender for Cloud plans for the services the HIPAA environment runs (subscription scope).' },
    resources,
  };
}

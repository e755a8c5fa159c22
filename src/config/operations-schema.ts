import { z } from 'zod';

/**
 * The `operations` section of the environment config: who is paged and about what, the
 * availability test, Defender for Cloud, Azure Policy's HIPAA initiative and the cost budget.
 * Every field is optional; the defaults page the subscription's owners (an Azure Resource Manager
 * role receiver) so the built-in config alerts someone before anyone lists an address.
 *
 * Severities and windows are chosen for an on-call team of two or three: severity 1 (page now)
 * only for "patients cannot reach the app"; everything else is severity 2 or 3 (look today), and
 * every window is long enough that a single slow request or one restart does not wake anyone.
 */

const resourceName = (what: string) =>
  z.string({ error: `give the ${what} as a string` }).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}[a-zA-Z0-9_]$/, {
    error: `the ${what} is 2-64 letters, digits, . _ - (starting with a letter or digit, not ending in . or -)`,
  });

const percent = (what: string) =>
  z
    .number({ error: `${what} is a percentage` })
    .min(1, { error: `${what} is a percentage from 1 to 100` })
    .max(100, { error: `${what} is a percentage from 1 to 100` });

const count = (what: string, max: number) =>
  z
    .int({ error: `${what} is a whole number from 1 to ${max}` })
    .min(1, { error: `${what} is a whole number from 1 to ${max}` })
    .max(max, { error: `${what} is a whole number from 1 to ${max}` });

/** The availability test locations Azure Monitor documents for standard tests (learn.microsoft.com, "Availability tests": location population tags). */
export const AVAILABILITY_LOCATIONS = [
  'us-va-ash-azr',
  'us-ca-sjc-azr',
  'us-il-ch1-azr',
  'us-tx-sn1-azr',
  'us-fl-mia-edge',
  'emea-gb-db3-azr',
  'emea-nl-ams-azr',
  'emea-fr-pra-edge',
  'emea-ru-msa-edge',
  'emea-se-sto-edge',
  'emea-ch-zrh-edge',
  'emea-au-syd-edge',
  'apac-sg-sin-azr',
  'apac-hk-hkn-azr',
  'apac-jp-kaw-edge',
  'latam-br-gru-edge',
] as const;

/** Microsoft Defender for Cloud plans (Microsoft.Security/pricings names) for the services this environment runs. */
export const DEFENDER_PLANS = ['Containers', 'KeyVaults', 'SqlServers', 'StorageAccounts', 'CosmosDbs', 'Arm'] as const;

const ActionGroupSchema = z
  .strictObject({
    name: resourceName('action group name').default('seniorly-prod-oncall').describe('Name of the action group.'),
    shortName: z
      .string()
      .regex(/^[a-zA-Z0-9 _-]{1,12}$/, { error: 'operations.actionGroup.shortName is 1-12 letters, digits, spaces, _ or -' })
      .default('oncall')
      .describe('The short name Azure puts in SMS and email subjects (at most 12 characters).'),
    emails: z
      .array(z.email({ error: 'operations.actionGroup.emails holds email addresses' }))
      .max(1000)
      .default([])
      .describe('Email addresses that receive every alert (the on-call team’s list).'),
    webhook: z
      .url({ protocol: /^https$/, error: 'operations.actionGroup.webhook is an https:// URL' })
      .optional()
      .describe(
        'An https webhook (a pager or chat service) that receives every alert in the common alert schema. The URL often carries a token: keep it in a variable, not in the file, when it does.',
      ),
    notifyOwners: z
      .boolean()
      .default(true)
      .describe(
        'Also email the subscription’s Owners (an Azure Resource Manager role receiver), so someone is told before emails are listed.',
      ),
  })
  .prefault({})
  .describe('The action group every alert, the availability test and the budget notify.');

const AlertsSchema = z
  .strictObject({
    http5xxPer15Minutes: count('operations.alerts.http5xxPer15Minutes', 100000)
      .default(20)
      .describe(
        'Severity 1 when the app answers more than this many 5xx responses in 15 minutes: the backstop for a burst (a platform metric alert cannot divide two metrics; http5xxPercent is the share).',
      ),
    http5xxPercent: percent('operations.alerts.http5xxPercent')
      .default(5)
      .describe(
        'Severity 1 when more than this share of the app’s requests in 15 minutes are answered 5xx (a log search alert on the environment’s HTTP logs, ContainerAppHTTPLogs).',
      ),
    http5xxMinRequests: count('operations.alerts.http5xxMinRequests', 100000)
      .default(20)
      .describe(
        'The share is judged only over 15 minutes with at least this many requests: two failures of three calls at night page nobody.',
      ),
    restarts: count('operations.alerts.restarts', 1000)
      .default(3)
      .describe('Severity 2 when the app’s containers restart more than this many times in 30 minutes.'),
    cpuPercent: percent('operations.alerts.cpuPercent')
      .default(85)
      .describe('Severity 3 when average CPU stays above this for 30 minutes.'),
    memoryPercent: percent('operations.alerts.memoryPercent')
      .default(85)
      .describe('Severity 3 when average memory stays above this for 30 minutes.'),
    secretReadsPerHour: count('operations.alerts.secretReadsPerHour', 100000)
      .default(200)
      .describe('Severity 2 when one caller reads more secrets than this in an hour (the app reads its few secrets at start).'),
    sqlFailedLogins: count('operations.alerts.sqlFailedLogins', 10000)
      .default(10)
      .describe('Severity 2 when SQL records more failed logins than this in 15 minutes.'),
  })
  .prefault({})
  .describe(
    'Metric alerts on the container app (5xx responses, restarts, no running replica, CPU, memory) and log search alerts on the workspace (Key Vault access denied and unusual secret reads, SQL failed logins).',
  );

const AvailabilitySchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Deploy the availability test (default true).'),
    url: z
      .url({ protocol: /^https$/, error: 'operations.availability.url is an https:// URL' })
      .optional()
      .describe(
        'The public health address to test. Absent: https://<the app’s FQDN><containerApp.healthPath> (external ingress only; an internal app needs this set to its public front).',
      ),
    locations: z
      .array(z.enum(AVAILABILITY_LOCATIONS))
      .min(3, { error: 'test from at least three locations, so one location’s trouble does not page anyone' })
      .default(['us-va-ash-azr', 'us-ca-sjc-azr', 'us-il-ch1-azr', 'us-tx-sn1-azr', 'us-fl-mia-edge'])
      .describe('Where Azure tests from (at least three).'),
    frequencySeconds: z
      .union([z.literal(300), z.literal(600), z.literal(900)], { error: 'operations.availability.frequencySeconds is 300, 600 or 900' })
      .default(300)
      .describe('How often each location tests: 300, 600 or 900 seconds.'),
    failedLocations: count('operations.availability.failedLocations', 16)
      .default(2)
      .describe('Severity 1 when this many locations fail at once (Microsoft recommends 2 of 5).'),
  })
  .prefault({})
  .describe('A standard availability test of the app’s public health address, from several locations, with its alert.');

const DefenderSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Turn the Defender plans on (a separate subscription-scope deployment).'),
    plans: z
      .array(z.enum(DEFENDER_PLANS))
      .min(1)
      .default([...DEFENDER_PLANS])
      .describe('Microsoft.Security/pricings plans set to Standard on the subscription.'),
  })
  .prefault({})
  .describe(
    'Microsoft Defender for Cloud plans for the services in use, at subscription scope. It needs Security Admin (or Owner/Contributor) on the subscription; without it provision says what to grant and deploys everything else.',
  );

const PolicySchema = z
  .strictObject({
    hipaaInitiative: z.boolean().default(true).describe('Assign the built-in HITRUST/HIPAA initiative to the resource group (audit only).'),
    assignmentName: resourceName('policy assignment name').default('hipaa-hitrust').describe('Name of the policy assignment.'),
  })
  .prefault({})
  .describe('Azure Policy’s built-in HITRUST/HIPAA initiative, assigned so Azure evaluates the group continuously.');

const BudgetSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Create the cost budget (default true).'),
    name: resourceName('budget name').default('seniorly-prod-monthly').describe('Name of the budget.'),
    amount: z
      .number()
      .positive({ error: 'operations.budget.amount is a positive amount' })
      .default(1500)
      .describe('Monthly budget, in the billing currency.'),
    startDate: z.iso
      .date({ error: 'write operations.budget.startDate as YYYY-MM-01' })
      .refine((date) => date.endsWith('-01'), 'a budget starts on the first day of a month')
      .default('2026-01-01')
      .describe('First month of the budget (the first of a month).'),
    thresholds: z
      .array(percent('operations.budget.thresholds'))
      .min(1)
      .max(4, { error: 'Azure allows five notifications per budget: at most four actual-cost thresholds (one more forecasts 100%)' })
      .default([50, 80, 100])
      .describe('Actual-cost percentages that notify; a forecast of 100% notifies too.'),
  })
  .prefault({})
  .describe('A monthly cost budget with alert thresholds, notifying the action group and the subscription’s Owners.');

export const OperationsSchema = z
  .strictObject({
    actionGroup: ActionGroupSchema,
    alerts: AlertsSchema,
    applicationInsightsName: resourceName('Application Insights name')
      .default('seniorly-prod-appinsights')
      .describe('The workspace-based Application Insights component the availability test reports to.'),
    availability: AvailabilitySchema,
    defender: DefenderSchema,
    policy: PolicySchema,
    budget: BudgetSchema,
  })
  .prefault({})
  .describe(
    'Operating the environment: alerts and who they page, the availability test, Defender for Cloud, Azure Policy’s HIPAA initiative and a cost budget.',
  );

export type OperationsConfig = z.output<typeof OperationsSchema>;

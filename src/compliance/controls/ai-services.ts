import { REACHED_BY_ROLE, resourceType } from '../../azure/resource-types.js';
import type { Control, ControlResult } from '../control.js';
import type { JudgedEnvironment, JudgedResource } from '../../arm/deployed.js';
import { field, isType, read, shortName, valueAt } from './access.js';
import { absentFails, equalsIgnoringCase, fail, notApplicable, pass, propertyControl, publicNetworkControl, unknown } from './rules.js';

/** The AI services: Azure OpenAI and Speech (Cognitive Services accounts) and Azure AI Search. */

const ACCOUNTS = ['Microsoft.CognitiveServices/accounts'];
const SEARCH = ['Microsoft.Search/searchServices'];
const isTrue = (value: unknown) => value === true;

/** Account kinds that serve Azure OpenAI models, and with them Azure OpenAI's abuse monitoring. */
const OPENAI_KINDS = ['openai', 'aiservices'];

/** `disableLocalAuth: true`: the service takes Microsoft Entra tokens only; keys are accepted when it is absent. */
function localAuthControl(id: string, title: string, appliesTo: readonly string[], keys: string, remediation: string): Control {
  const path = ['properties', 'disableLocalAuth'];
  return propertyControl({
    id,
    title,
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo,
    remediation,
    path,
    expected: 'true',
    valueType: 'boolean',
    complies: isTrue,
    whenAbsent: absentFails(path, `true (${keys} are accepted by default)`),
  });
}

export const cognitiveServicesControls: Control[] = [
  localAuthControl(
    'cognitiveservices.local-auth-disabled',
    'Azure AI services (OpenAI, Speech) accept Microsoft Entra ID only, not keys',
    ACCOUNTS,
    'keys',
    "Set properties.disableLocalAuth to true (with a customSubDomainName, which Entra sign-in needs) and grant the app's identity a data role (Cognitive Services OpenAI User, Cognitive Services Speech User); the renderer always does (config: ai.openai, ai.speech).",
  ),
  publicNetworkControl('cognitiveservices.public-network', ACCOUNTS, ['164.312(a)(1)', '164.312(e)(1)'], ''),
];

export const searchControls: Control[] = [
  localAuthControl(
    'search.local-auth-disabled',
    'Azure AI Search accepts Microsoft Entra ID only, not API keys',
    SEARCH,
    'API keys',
    "Set properties.disableLocalAuth to true (and leave out authOptions, which it excludes) and grant the app's identity a Search data role such as Search Index Data Reader; the renderer always does (config: ai.search).",
  ),
  publicNetworkControl('search.public-network', SEARCH, ['164.312(a)(1)', '164.312(e)(1)'], ''),
];

const ROLE_ASSIGNMENTS = 'Microsoft.Authorization/roleAssignments';
const CONTAINER_APPS = 'Microsoft.App/containerApps';
/** The identity a template's `reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'name'), ...).principalId` names. */
const IDENTITY_IN_EXPRESSION = /userAssignedIdentities'\s*,\s*'([^']+)'\s*\)/i;

/** Who a container app signs in as: principal ids (as ARM reports them live) and user-assigned identity names (as a template names them). */
function appPrincipals(environment: JudgedEnvironment): {
  apps: number;
  /** Whether any app has a managed identity at all (one with none holds no role). */
  withIdentity: boolean;
  principalIds: Set<string>;
  identityNames: Set<string>;
} {
  const principalIds = new Set<string>();
  const identityNames = new Set<string>();
  const apps = environment.resources.filter((resource) => isType(resource, CONTAINER_APPS));
  const withIdentity = apps.some((app) => {
    const type = read(app, ['identity', 'type']);
    return type.kind === 'unknown' || (type.kind === 'known' && /assigned/i.test(String(type.value)));
  });
  for (const app of apps) {
    const systemAssigned = field(app.body, 'identity', 'principalId');
    if (typeof systemAssigned === 'string') principalIds.add(systemAssigned.toLowerCase());
    const assigned = field(app.body, 'identity', 'userAssignedIdentities');
    if (!assigned || typeof assigned !== 'object') continue;
    for (const [id, details] of Object.entries(assigned as Record<string, unknown>)) {
      const principalId = field(details, 'principalId');
      if (typeof principalId === 'string') principalIds.add(principalId.toLowerCase());
      const name = (IDENTITY_IN_EXPRESSION.exec(id)?.[1] ?? id.split('/').at(-1) ?? '').toLowerCase();
      if (name) identityNames.add(name);
    }
  }
  return { apps: apps.length, withIdentity, principalIds, identityNames };
}

/** Whom a role assignment grants, when it can be told: a principal id, or the user-assigned identity a template's expression names. */
function grantee(assignment: JudgedResource): { principalId: string } | { identityName: string } | undefined {
  const principal = valueAt(assignment.body, ['properties', 'principalId']);
  if (principal.kind === 'known' && typeof principal.value === 'string') return { principalId: principal.value.toLowerCase() };
  if (principal.kind === 'unknown') {
    const name = IDENTITY_IN_EXPRESSION.exec(principal.expression ?? '')?.[1];
    if (name) return { identityName: name.toLowerCase() };
  }
  return undefined;
}

/** The account kinds a Cognitive Services data role reaches (learn.microsoft.com, "Azure built-in roles"); a role not listed reaches every kind. */
const ROLE_KINDS: Readonly<Record<string, readonly string[]>> = {
  'Cognitive Services OpenAI User': ['openai', 'aiservices'],
  'Cognitive Services OpenAI Contributor': ['openai', 'aiservices'],
  'Cognitive Services Speech User': ['speechservices', 'aiservices'],
};

/** A role assignment at a resource group or subscription (a template's assignment without `scope`): it reaches every service below. */
const ABOVE_RESOURCES = /^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i;

/** The service's data roles, as [name, GUID]: for an account, those that reach its kind (all of them while the kind is unknown). */
function dataRolesOf(service: JudgedResource): [string, string][] {
  const roles = Object.entries(resourceType(service.type)?.roles ?? {});
  const kind = field(service.body, 'kind');
  if (typeof kind !== 'string') return roles;
  return roles.filter(([name]) => ROLE_KINDS[name]?.includes(kind.toLowerCase()) ?? true);
}

/** Judges whether the app's identity holds one of the service's data roles (at the service or a scope above it). */
function judgeAppIdentity(service: JudgedResource, environment: JudgedEnvironment): ControlResult {
  const roles = dataRolesOf(service);
  const roleNames = roles.map(([name]) => name).join(', ');
  // Only an assignment at the service's own resource group or subscription reaches it: the scope is a prefix of its full id.
  const serviceId = service.id.toLowerCase();
  const above = environment.resources.filter(
    (resource) =>
      isType(resource, ROLE_ASSIGNMENTS) &&
      ABOVE_RESOURCES.test(resource.id) &&
      serviceId.startsWith(`${resource.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, '').toLowerCase()}/`),
  );
  const assignments = [
    ...new Map(
      [...service.extensions.filter((extension) => isType(extension, ROLE_ASSIGNMENTS)), ...above].map((assignment) => [
        assignment.id.toLowerCase(),
        assignment,
      ]),
    ).values(),
  ];
  const dataGrants: { role: string; assignment: JudgedResource }[] = [];
  let unreadable: string | undefined;
  for (const assignment of assignments) {
    const definition = read(assignment, ['properties', 'roleDefinitionId']);
    if (definition.kind === 'unknown') unreadable ??= `the role of ${shortName(assignment)} cannot be known offline (${definition.reason})`;
    if (definition.kind !== 'known' || typeof definition.value !== 'string') continue;
    const guid = definition.value.split('/').at(-1)?.toLowerCase();
    const role = roles.find(([, id]) => id === guid);
    if (role) dataGrants.push({ role: role[0], assignment });
  }
  if (dataGrants.length === 0) {
    if (unreadable) return unknown(unreadable);
    return fail(
      `no role assignment on ${shortName(service)} grants a data role (${roleNames}); with keys off, nothing can call it unless an identity holds one`,
    );
  }
  const app = appPrincipals(environment);
  // undefined when it cannot be told: the grantee is unreadable, or the apps' identities are not known in that form.
  const matches = (grant: { assignment: JudgedResource }) => {
    const who = grantee(grant.assignment);
    if (!who) return undefined;
    const known = 'principalId' in who ? app.principalIds : app.identityNames;
    if (known.size === 0) return app.withIdentity ? undefined : false;
    return known.has('principalId' in who ? who.principalId : who.identityName);
  };
  const held = dataGrants.find((grant) => matches(grant) === true);
  if (held) return pass(`the app's identity holds ${held.role} on ${shortName(service)}`);
  if (app.apps === 0) {
    const servicePrincipal = dataGrants.find((grant) =>
      equalsIgnoringCase('ServicePrincipal')(field(grant.assignment.body, 'properties', 'principalType')),
    );
    return servicePrincipal
      ? pass(
          `${servicePrincipal.role} is granted to a service principal (a managed identity); no container app in this environment to match it to`,
        )
      : unknown(`${dataGrants.map((grant) => grant.role).join(', ')} is granted, but to no principal known to be a managed identity`);
  }
  if (dataGrants.some((grant) => matches(grant) === undefined))
    return unknown(`who holds ${dataGrants.map((grant) => grant.role).join(', ')} on ${shortName(service)} cannot be known offline`);
  return fail(
    `${dataGrants.map((grant) => grant.role).join(', ')} on ${shortName(service)} is granted only to identities no container app in the environment uses; the app would need a key`,
  );
}

export const appIdentityControls: Control[] = [
  {
    id: 'ai.app-identity',
    title: 'The app reaches the AI services with its managed identity, holding a data role on each',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo: REACHED_BY_ROLE,
    remediation:
      "Assign the app's managed identity a data role on the service (Cognitive Services OpenAI User, Cognitive Services Speech User, Search Index Data Reader), at the service or above it, and have the app sign in with it (DefaultAzureCredential with AZURE_CLIENT_ID); the renderer always does (config: ai).",
    evaluate: (service, { environment }) => (service ? judgeAppIdentity(service, environment) : notApplicable('no resource')),
  },
];

const DAY_MS = 86_400_000;
const CAPABILITIES = ['properties', 'capabilities'];

/**
 * Whether the account shows Microsoft turned abuse-monitoring storage off: the capability
 * `{"name": "ContentLogging", "value": "false"}`, which "appears only if data storage for abuse
 * monitoring is turned off" (learn.microsoft.com, Azure OpenAI data privacy; see
 * docs/research/azure-facts.md, E2). A template never holds it: Azure sets it.
 */
function contentLogging(account: JudgedResource): 'off' | 'not shown' | { unknown: string } {
  const capabilities = read(account, CAPABILITIES);
  if (capabilities.kind === 'unknown') return { unknown: capabilities.reason };
  if (capabilities.kind === 'absent' || !Array.isArray(capabilities.value)) return 'not shown';
  const off = capabilities.value.some(
    (capability) =>
      equalsIgnoringCase('ContentLogging')(field(capability, 'name')) && equalsIgnoringCase('false')(String(field(capability, 'value'))),
  );
  return off ? 'off' : 'not shown';
}

/** Whole days from a YYYY-MM-DD date to now; undefined for a date that is not one or lies ahead. */
function daysSince(date: string, now: Date): number | undefined {
  const time = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(time) || time > now.getTime()) return undefined;
  return Math.floor((now.getTime() - time) / DAY_MS);
}

export const openAiControls: Control[] = [
  {
    id: 'openai.abuse-monitoring',
    title: 'Azure OpenAI keeps no prompts for abuse review, or the decision to let it is on record',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(B)', '164.308(b)(1)', '164.316(b)(2)'],
    appliesTo: ACCOUNTS,
    remediation:
      'Azure OpenAI may store prompts and completions that abuse monitoring flags, for review by Microsoft staff. Apply to Microsoft for modified abuse monitoring (a Limited Access form) and, once approved, record it: ai.openai.abuseMonitoring.approval {approvedDate, reference}; the live gate then checks the account shows the capability ContentLogging=false. Or record a reviewed decision to keep it: ai.openai.abuseMonitoring.waiver {reason, reviewedBy, reviewedDate}, reviewed at least every gate.baaReviewMaxAgeDays days.',
    evaluate(account, { abuseMonitoring, environment, policy, now }): ControlResult {
      if (!account) return notApplicable('no resource');
      const kind = read(account, ['kind']);
      if (kind.kind === 'unknown')
        return unknown(`kind cannot be known offline (${kind.reason}), so whether it serves Azure OpenAI is unknown`, ['kind']);
      if (kind.kind === 'absent' || typeof kind.value !== 'string')
        return unknown('kind is not set, so whether the account serves Azure OpenAI is unknown', ['kind']);
      if (!OPENAI_KINDS.includes(kind.value.toLowerCase())) return notApplicable(`kind ${kind.value} serves no Azure OpenAI models`);

      const logging = contentLogging(account);
      const approval = abuseMonitoring?.approval;
      const recorded = approval ? ` (the config records Microsoft's approval of ${approval.approvedDate}, ${approval.reference})` : '';
      if (logging === 'off')
        return pass(
          `the account shows the capability ContentLogging=false: Microsoft turned abuse-monitoring storage off${recorded}`,
          CAPABILITIES,
        );
      if (approval) {
        if (daysSince(approval.approvedDate, now) === undefined)
          return fail(`ai.openai.abuseMonitoring.approval.approvedDate ${approval.approvedDate} is not a date in the past`);
        if (environment.input.kind !== 'live')
          return pass(
            `approval: Microsoft approved turning abuse-monitoring storage off on ${approval.approvedDate} (${approval.reference}), as the config records; the live gate checks the account for the capability ContentLogging=false`,
          );
        if (typeof logging === 'object')
          return unknown(
            `the account's capabilities cannot be read (${logging.unknown}), so the recorded approval cannot be checked`,
            CAPABILITIES,
          );
        return fail(
          `the config records Microsoft's approval of ${approval.approvedDate} (${approval.reference}), but the account does not show the capability ContentLogging=false, so abuse-monitoring storage is still on for it: check that the approval covers this account's subscription`,
          CAPABILITIES,
        );
      }
      const waiver = abuseMonitoring?.waiver;
      if (waiver) {
        const age = daysSince(waiver.reviewedDate, now);
        if (age === undefined)
          return fail(`ai.openai.abuseMonitoring.waiver.reviewedDate ${waiver.reviewedDate} is not a date in the past`);
        if (age > policy.baaReviewMaxAgeDays)
          return fail(
            `the waiver to keep abuse monitoring was last reviewed ${age} days ago (${waiver.reviewedDate}); the policy asks for a review every ${policy.baaReviewMaxAgeDays} days`,
          );
        return pass(
          `waiver: abuse monitoring stays on (Microsoft may keep flagged prompts and completions for review), a decision ${waiver.reviewedBy} reviewed ${age} days ago (${waiver.reviewedDate}): ${waiver.reason}`,
        );
      }
      return fail(
        'Azure OpenAI may keep prompts and completions that abuse monitoring flags, for review by Microsoft staff, and the config records neither Microsoft’s approval to turn that off nor a reviewed waiver (ai.openai.abuseMonitoring)',
      );
    },
  },
];

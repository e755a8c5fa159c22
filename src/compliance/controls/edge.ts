import type { Control, ControlResult } from '../control.js';
import type { JudgedResource } from '../../arm/deployed.js';
import { childrenOfType, isType, read, shortName, valueAt, type PropertyValue } from './access.js';
import { absentFails, equalsIgnoringCase, fail, notApplicable, pass, unknown } from './rules.js';

/**
 * The public edge: Azure Front Door (Microsoft.Cdn/profiles) with a WAF policy
 * (Microsoft.Network/FrontDoorWebApplicationFirewallPolicies) in front of the Container Apps
 * environment. Sources (learn.microsoft.com): "Azure Web Application Firewall on Azure Front Door"
 * (Detection only logs, Prevention blocks), "Web Application Firewall DRS rule groups and rules",
 * "Configure bot protection for Web Application Firewall", "Security policies in Azure Front Door",
 * Front Door's route REST reference (supportedProtocols default Http and Https, httpsRedirect default
 * Disabled, forwardingProtocol default MatchRequest), and "Integrate Azure Front Door with Azure
 * Container Apps using Private Link" (the environment's public network access disabled).
 */

const WAF_POLICY = ['Microsoft.Network/FrontDoorWebApplicationFirewallPolicies'];
const PROFILE = 'Microsoft.Cdn/profiles';
const ROUTE = ['Microsoft.Cdn/profiles/afdEndpoints/routes'];
const ENVIRONMENT = 'Microsoft.App/managedEnvironments';
const WAF_HIPAA = ['164.308(a)(1)(ii)(B)', '164.312(c)(1)'] as const;

/** Text at `path` of a value: the text, absent, or unknown (an unknown value or one that is not text). */
function textAt(root: unknown, path: (string | number)[]): { kind: 'text'; value: string } | { kind: 'absent' } | { kind: 'unknown' } {
  const value = valueAt(root, path);
  if (value.kind === 'absent') return value;
  return value.kind === 'known' && typeof value.value === 'string' ? { kind: 'text', value: value.value } : { kind: 'unknown' };
}

/** The entries of a list property, or the finding that says why they cannot be read. */
function entriesOf(value: PropertyValue, what: string, path: string[]): unknown[] | ControlResult {
  if (value.kind === 'unknown') return unknown(`${what} cannot be known offline (${value.reason})`, path);
  if (value.kind === 'absent') return [];
  if (!Array.isArray(value.value)) return unknown(`${what} is ${JSON.stringify(value.value).slice(0, 60)}, not a list`, path);
  return value.value;
}

/**
 * A managed rule set of one of `types` is in the policy and not set to only log. The rule set's own
 * action applies when `ruleSetAction` is absent (DRS 2.x: anomaly scoring, which blocks).
 */
function managedRuleSetControl(id: string, title: string, types: readonly string[], remediation: string): Control {
  const path = ['properties', 'managedRules', 'managedRuleSets'];
  return {
    id,
    title,
    severity: 'required',
    hipaa: WAF_HIPAA,
    appliesTo: WAF_POLICY,
    remediation,
    evaluate(policy) {
      if (!policy) return notApplicable('no resource');
      const entries = entriesOf(read(policy, path), 'managedRules.managedRuleSets', path);
      if (!Array.isArray(entries)) return entries;
      let undecided: ControlResult | undefined;
      for (const [index, entry] of entries.entries()) {
        const type = textAt(entry, ['ruleSetType']);
        if (type.kind === 'unknown') {
          undecided ??= unknown(`managedRuleSets[${index}].ruleSetType cannot be known offline`, [...path, index]);
          continue;
        }
        if (type.kind !== 'text' || !types.some((wanted) => equalsIgnoringCase(wanted)(type.value))) continue;
        const action = textAt(entry, ['ruleSetAction']);
        if (action.kind === 'unknown') {
          undecided ??= unknown(`the action of rule set ${type.value} cannot be known offline`, [...path, index, 'ruleSetAction']);
          continue;
        }
        if (action.kind === 'text' && equalsIgnoringCase('Log')(action.value)) {
          undecided ??= fail(`rule set ${type.value} only logs (ruleSetAction Log): it blocks nothing`, [...path, index, 'ruleSetAction']);
          continue;
        }
        return pass(`the policy runs ${type.value}${action.kind === 'text' ? ` with action ${action.value}` : ''}`, [...path, index]);
      }
      return undecided ?? fail(`the policy runs no ${types.join(' or ')} rule set`, path);
    },
  };
}

/** Whether a security policy's association list names `id` (ids compared without case, by their resource path). */
function associates(policy: JudgedResource, id: string): boolean | undefined {
  const associations = read(policy, ['properties', 'parameters', 'associations']);
  if (associations.kind === 'unknown') return undefined;
  if (associations.kind === 'absent' || !Array.isArray(associations.value)) return associations.kind === 'absent' ? false : undefined;
  const wanted = providerPathOf(id);
  let undecided = false;
  for (const association of associations.value) {
    const domains = valueAt(association, ['domains']);
    if (domains.kind === 'unknown' || (domains.kind === 'known' && !Array.isArray(domains.value))) {
      undecided = true;
      continue;
    }
    for (const domain of domains.kind === 'known' ? (domains.value as unknown[]) : []) {
      const domainId = textAt(domain, ['id']);
      if (domainId.kind === 'unknown') undecided = true;
      else if (domainId.kind === 'text' && providerPathOf(domainId.value) === wanted) return true;
    }
  }
  return undecided ? undefined : false;
}

/** `/providers/...` of a resource id, lower case: the same resource whether or not the id names the subscription and group. */
function providerPathOf(id: string): string {
  const at = id.toLowerCase().lastIndexOf('/providers/');
  return at >= 0 ? id.toLowerCase().slice(at) : id.toLowerCase();
}

/** Whether a security policy applies a WAF policy: type WebApplicationFirewall and a wafPolicy id. */
function isWafPolicy(policy: JudgedResource): boolean | undefined {
  const type = read(policy, ['properties', 'parameters', 'type']);
  const waf = read(policy, ['properties', 'parameters', 'wafPolicy', 'id']);
  if (type.kind === 'unknown' || waf.kind === 'unknown') return undefined;
  return (
    equalsIgnoringCase('WebApplicationFirewall')(type.kind === 'known' ? type.value : undefined) && waf.kind === 'known' && waf.value !== ''
  );
}

export const edgeControls: Control[] = [
  {
    id: 'frontdoor.waf-prevention',
    title: 'Front Door WAF policy is enabled and blocks (Prevention mode)',
    severity: 'required',
    hipaa: WAF_HIPAA,
    appliesTo: WAF_POLICY,
    remediation:
      'Set properties.policySettings.mode to "Prevention" and enabledState to "Enabled" (Detection mode only logs attacks). Config: edge (always Prevention).',
    evaluate(policy) {
      if (!policy) return notApplicable('no resource');
      const statePath = ['properties', 'policySettings', 'enabledState'];
      const modePath = ['properties', 'policySettings', 'mode'];
      const state = read(policy, statePath);
      if (state.kind === 'unknown') return unknown(`policySettings.enabledState cannot be known offline (${state.reason})`, statePath);
      if (state.kind === 'known' && typeof state.value !== 'string')
        return unknown(`policySettings.enabledState is ${JSON.stringify(state.value)}, not text`, statePath);
      // The REST reference: enabledState "defaults to Enabled if not specified".
      if (state.kind === 'known' && !equalsIgnoringCase('Enabled')(state.value))
        return fail(`policySettings.enabledState is ${JSON.stringify(state.value)}: the policy inspects nothing`, statePath);
      const mode = read(policy, modePath);
      if (mode.kind === 'unknown') return unknown(`policySettings.mode cannot be known offline (${mode.reason})`, modePath);
      if (mode.kind === 'absent') return absentFails(modePath, '"Prevention" (no default is documented; Detection only logs)')();
      if (typeof mode.value !== 'string') return unknown(`policySettings.mode is ${JSON.stringify(mode.value)}, not text`, modePath);
      return equalsIgnoringCase('Prevention')(mode.value)
        ? pass('the policy is enabled in Prevention mode', modePath)
        : fail(`policySettings.mode is ${JSON.stringify(mode.value)}; it must be "Prevention" (Detection only logs attacks)`, modePath);
    },
  },
  managedRuleSetControl(
    'frontdoor.waf-default-rules',
    'Front Door WAF runs Microsoft’s default rule set',
    ['Microsoft_DefaultRuleSet', 'DefaultRuleSet'],
    'Add {ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1", ruleSetAction: "Block"} to properties.managedRules.managedRuleSets (Premium SKU).',
  ),
  managedRuleSetControl(
    'frontdoor.waf-bot-manager',
    'Front Door WAF runs the bot manager rule set',
    ['Microsoft_BotManagerRuleSet'],
    'Add {ruleSetType: "Microsoft_BotManagerRuleSet", ruleSetVersion: "1.1"} to properties.managedRules.managedRuleSets (Premium SKU).',
  ),
  {
    id: 'frontdoor.waf-attached',
    title: 'Every Front Door endpoint and custom domain is behind a WAF policy',
    severity: 'required',
    hipaa: WAF_HIPAA,
    appliesTo: [PROFILE],
    remediation:
      'Add a Microsoft.Cdn/profiles/securityPolicies child with parameters {type: "WebApplicationFirewall", wafPolicy: {id}, associations: [{domains: [{id} of every afdEndpoint and customDomain], patternsToMatch: ["/*"]}]}.',
    evaluate(profile) {
      if (!profile) return notApplicable('no resource');
      const domains = [...childrenOfType(profile, `${PROFILE}/afdEndpoints`), ...childrenOfType(profile, `${PROFILE}/customDomains`)];
      if (domains.length === 0) return pass('the profile has no endpoint or custom domain: it serves nothing');
      const policies = childrenOfType(profile, `${PROFILE}/securityPolicies`);
      let undecided: string | undefined;
      for (const domain of domains) {
        const covering = policies.map((policy) => {
          const waf = isWafPolicy(policy);
          const listed = associates(policy, domain.id);
          return waf === false || listed === false ? false : waf === undefined || listed === undefined ? undefined : true;
        });
        if (covering.includes(true)) continue;
        const what = `${isType(domain, `${PROFILE}/afdEndpoints`) ? 'endpoint' : 'custom domain'} ${shortName(domain)}`;
        if (covering.includes(undefined)) undecided ??= `whether a WAF security policy covers ${what} cannot be known offline`;
        else return fail(`${what} is not associated with any WAF security policy: requests reach the app uninspected`);
      }
      return undecided ? unknown(undecided) : pass(`all ${domains.length} endpoint(s) and custom domain(s) are behind a WAF policy`);
    },
  },
  {
    id: 'frontdoor.https-only',
    title: 'Front Door route takes HTTPS only and forwards HTTPS only',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: ROUTE,
    remediation: 'Set the route’s httpsRedirect to "Enabled" (or supportedProtocols to ["Https"]) and forwardingProtocol to "HttpsOnly".',
    evaluate(route) {
      if (!route) return notApplicable('no resource');
      const protocolsPath = ['properties', 'supportedProtocols'];
      const protocols = read(route, protocolsPath);
      const redirect = read(route, ['properties', 'httpsRedirect']);
      const forwarding = read(route, ['properties', 'forwardingProtocol']);
      const unknownRead = [protocols, redirect, forwarding].find((value) => value.kind === 'unknown');
      if (unknownRead?.kind === 'unknown') return unknown(`the route's protocols cannot be known offline (${unknownRead.reason})`);
      // Documented defaults: both protocols accepted, no redirect, the request's own protocol forwarded.
      const accepted = protocols.kind === 'known' ? protocols.value : ['Http', 'Https'];
      const redirectValue = redirect.kind === 'known' ? redirect.value : 'Disabled';
      const forwardingValue = forwarding.kind === 'known' ? forwarding.value : 'MatchRequest';
      if (!Array.isArray(accepted) || accepted.some((entry) => typeof entry !== 'string'))
        return unknown(`supportedProtocols is ${JSON.stringify(accepted)}, not a list of protocols`, protocolsPath);
      if (typeof redirectValue !== 'string' || typeof forwardingValue !== 'string')
        return unknown('httpsRedirect or forwardingProtocol is not text; what Azure does with it is not documented');
      const httpServed = accepted.some(equalsIgnoringCase('Http')) && !equalsIgnoringCase('Enabled')(redirectValue);
      if (httpServed)
        return fail('the route serves plain HTTP: set httpsRedirect to "Enabled" or supportedProtocols to ["Https"]', [
          'properties',
          'httpsRedirect',
        ]);
      const httpsToOrigin =
        equalsIgnoringCase('HttpsOnly')(forwardingValue) ||
        (equalsIgnoringCase('MatchRequest')(forwardingValue) && !accepted.some(equalsIgnoringCase('Http')));
      return httpsToOrigin
        ? pass(
            `the route takes HTTPS only (HTTP ${accepted.some(equalsIgnoringCase('Http')) ? 'redirected' : 'refused'}) and forwards ${forwardingValue}`,
          )
        : fail(
            `forwardingProtocol is ${JSON.stringify(forwardingValue)}: requests may reach the origin over plain HTTP; set it to "HttpsOnly"`,
            ['properties', 'forwardingProtocol'],
          );
    },
  },
  {
    id: 'environment.behind-edge',
    title: 'Container Apps environment behind an edge takes no traffic from the internet',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(e)(1)'],
    appliesTo: [ENVIRONMENT],
    remediation:
      'Set properties.publicNetworkAccess to "Disabled" on the environment and reach it from Front Door through Private Link (an origin with sharedPrivateLinkResource, groupId managedEnvironments); otherwise callers bypass the WAF. Config: edge.enabled.',
    evaluate(environmentResource, { environment }) {
      if (!environmentResource) return notApplicable('no resource');
      const profiles = environment.resources.filter((resource) => isType(resource, PROFILE) && !resource.notDeployed);
      if (profiles.length === 0) return notApplicable('no Front Door profile: the environment is not behind an edge');
      // Read so that a profile of unknown condition is judged both ways.
      for (const profile of profiles) read(profile, ['sku', 'name']);
      const path = ['properties', 'publicNetworkAccess'];
      const access = read(environmentResource, path);
      if (access.kind === 'unknown') return unknown(`publicNetworkAccess cannot be known offline (${access.reason})`, path);
      if (access.kind === 'absent')
        return fail(
          `publicNetworkAccess is not set (the default is Enabled) while Front Door ${shortName(profiles[0] as JudgedResource)} is the edge: callers can bypass its WAF`,
          path,
        );
      if (typeof access.value !== 'string') return unknown(`publicNetworkAccess is ${JSON.stringify(access.value)}, not text`, path);
      return equalsIgnoringCase('Disabled')(access.value)
        ? pass(`publicNetworkAccess is "Disabled": only the edge (${profiles.map(shortName).join(', ')}) reaches the app`, path)
        : fail(
            `publicNetworkAccess is ${JSON.stringify(access.value)} while Front Door ${shortName(profiles[0] as JudgedResource)} is the edge: callers can bypass its WAF`,
            path,
          );
    },
  },
];

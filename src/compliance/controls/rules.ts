import type { Control, ControlContext, ControlResult } from '../control.js';
import type { JudgedEnvironment, JudgedResource } from '../../arm/deployed.js';
import type { Severity } from '../model.js';
import { apiVersionAtLeast, appliedLast, pathText, read } from './access.js';
import type { JsonPath } from '../../core/json-path.js';

/** The fields every control declares. */
export interface ControlSpec {
  id: string;
  title: string;
  severity: Severity;
  hipaa: readonly string[];
  remediation: string;
  appliesTo: Control['appliesTo'];
}

export const pass = (message: string, path?: JsonPath): ControlResult => ({ status: 'pass', message, ...(path ? { path } : {}) });
export const fail = (message: string, path?: JsonPath): ControlResult => ({ status: 'fail', message, ...(path ? { path } : {}) });
export const unknown = (message: string, path?: JsonPath): ControlResult => ({ status: 'unknown', message, ...(path ? { path } : {}) });
export const notApplicable = (message: string): ControlResult => ({ status: 'not-applicable', message });

export interface PropertyRule extends ControlSpec {
  /** Property path in the body, e.g. `['properties', 'enablePurgeProtection']`. */
  path: JsonPath;
  /** Whether a present value complies. */
  complies(value: unknown, context: ControlContext): boolean;
  /** Judgement when the property is absent: the API's default, judged by apiVersion. */
  whenAbsent(resource: JudgedResource, context: ControlContext): ControlResult;
  /** Describes the expectation, e.g. `true` or `Disabled`. */
  expected: string;
  /** The JSON type Azure takes for the property. A value of another type (`"false"` for a boolean) is unknown, never taken as safe. */
  valueType: 'boolean' | 'string' | 'number';
}

/** A control that judges one property of the resource. */
export function propertyControl(rule: PropertyRule): Control {
  return {
    ...rule,
    evaluate(resource, context) {
      if (!resource) return notApplicable('no resource');
      const value = read(resource, rule.path);
      const where = pathText(rule.path);
      if (value.kind === 'unknown') return unknown(`${where} cannot be known offline (${value.reason})`, rule.path);
      if (value.kind === 'absent') return rule.whenAbsent(resource, context);
      if (typeof value.value !== rule.valueType) {
        return unknown(
          `${where} is ${JSON.stringify(value.value)}, not a ${rule.valueType}; what Azure does with it is not documented, so it is not taken as ${rule.expected}`,
          rule.path,
        );
      }
      return rule.complies(value.value, context)
        ? pass(`${where} is ${JSON.stringify(value.value)}`, rule.path)
        : fail(`${where} is ${JSON.stringify(value.value)}; it must be ${rule.expected}`, rule.path);
    },
  };
}

/** Absent means non-compliant: the API has no safe default. */
export function absentFails(path: JsonPath, expected: string) {
  return (): ControlResult => fail(`${pathText(path)} is not set; it must be ${expected}`, path);
}

/** Absent means compliant because the API's default is safe, from `since` on. */
export function absentDefaultsFrom(path: JsonPath, since: string, defaultValue: string, expected: string) {
  return (resource: JudgedResource): ControlResult => {
    const recent = apiVersionAtLeast(resource, since);
    if (recent === undefined) return unknown(`${pathText(path)} is not set and the resource has no apiVersion to tell its default`, path);
    return recent
      ? pass(
          `${pathText(path)} is not set; its default is ${defaultValue} since API version ${since} (this resource uses ${resource.apiVersion})`,
          path,
        )
      : fail(
          `${pathText(path)} is not set, and before API version ${since} (this resource uses ${resource.apiVersion}) the default is not ${expected}; set it explicitly`,
          path,
        );
  };
}

/**
 * A platform minimum Azure enforces on every resource of a type from a date on, whatever the
 * resource says (Microsoft retiring TLS 1.0 and 1.1, say): from `since` (an ISO date, UTC) an
 * absent property passes; before it, `before` judges.
 */
export interface PlatformMinimum {
  since: string;
  /** What Azure enforces, for the message: `TLS 1.2 or newer`. */
  what: string;
  /** Microsoft's announcement (docs/controls.md records it too). */
  source: string;
}

export function absentPassesFromDate(
  path: JsonPath,
  minimum: PlatformMinimum,
  before: (resource: JudgedResource, context: ControlContext) => ControlResult,
) {
  return (resource: JudgedResource, context: ControlContext): ControlResult =>
    context.now.getTime() >= Date.parse(`${minimum.since}T00:00:00Z`)
      ? pass(
          `${pathText(path)} is not set; Azure enforces ${minimum.what} on every resource of this type since ${minimum.since} (${minimum.source})`,
          path,
        )
      : before(resource, context);
}

export const equalsIgnoringCase = (expected: string) => (value: unknown) =>
  typeof value === 'string' && value.toLowerCase() === expected.toLowerCase();

/** `publicNetworkAccess: Disabled`, the advisory control every data service has. */
export function publicNetworkControl(id: string, appliesTo: readonly string[], hipaa: readonly string[], configKey: string): Control {
  const path = ['properties', 'publicNetworkAccess'];
  return propertyControl({
    id,
    title: 'Public network access is disabled',
    severity: 'advisory',
    hipaa,
    appliesTo,
    remediation: `Set properties.publicNetworkAccess to "Disabled" and reach the service through a private endpoint (config: network.mode: private${configKey ? `; ${configKey}` : ''}).`,
    path,
    expected: '"Disabled"',
    valueType: 'string',
    complies: equalsIgnoringCase('Disabled'),
    whenAbsent: absentFails(path, '"Disabled" (the default is Enabled)'),
  });
}

/** Compares TLS version labels like `1.2`, `Tls12`, `TLS1_2`. */
export function tlsAtLeast12(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const digits = value.replace(/[^0-9]/g, '');
  if (digits.length < 2) return false;
  return Number(`${digits[0]}.${digits.slice(1)}`) >= 1.2;
}

/** Days in an ISO 8601 duration of years, months, weeks and days, counted conservatively (a month as 28 days). */
export function durationDays(duration: string): number | undefined {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$/i.exec(duration.trim());
  if (!match) return undefined;
  const [, years, months, weeks, days] = match.map((part) => Number(part ?? 0));
  return (years as number) * 365 + (months as number) * 28 + (weeks as number) * 7 + (days as number);
}

/** One resource that writes an Azure setting, and what it writes. */
export interface SettingWriter {
  resource: JudgedResource;
  /** How the finding names it: `advancedThreatProtectionSettings/Default`. */
  label: string;
  /** Whether the value turns the setting on; undefined when it cannot tell (an unknown value). */
  on: boolean | undefined;
}

/**
 * Judges a setting several resources write (a SQL server's auditing through auditingSettings and
 * extendedAuditingSettings, say). Azure keeps the last write, so the writer ARM applies last
 * decides: a writer that turns it off is overridden by one ordered after it (dependsOn, directly
 * or through parents and modules) that turns it back on. Where ARM's order between the last
 * writers is undefined and they disagree, or the last one's value cannot be known, it is unknown.
 */
export function judgeWriters(writers: SettingWriter[], environment: JudgedEnvironment, setting: string): ControlResult | undefined {
  if (writers.length === 0) return undefined;
  const last = appliedLast(writers, (writer) => writer.resource, environment);
  const names = (list: SettingWriter[]) => list.map((writer) => writer.label).join(', ');
  const unknownWriter = last.find((writer) => writer.on === undefined);
  if (unknownWriter) return unknown(`${unknownWriter.label} cannot be known offline, so ${setting} cannot be judged`);
  const off = last.filter((writer) => writer.on === false);
  const on = last.filter((writer) => writer.on === true);
  if (off.length > 0 && on.length > 0) {
    return unknown(
      `${(off[0] as SettingWriter).label} turns ${setting} off and ${(on[0] as SettingWriter).label} turns it on, and neither depends on the other: ARM may apply either last. Remove ${(off[0] as SettingWriter).label}.`,
    );
  }
  const earlier = writers.filter((writer) => !last.includes(writer));
  const overridden = earlier.length > 0 ? `; ARM applies it after ${names(earlier)}, so it is the final state` : '';
  if (off.length === 0) return pass(`${setting} is on (${names(on)})${overridden}`);
  return fail(`${names(off)} ${off.length === 1 ? 'turns' : 'turn'} ${setting} off${overridden}`);
}

/**
 * One child written several times (a `transparentDataEncryption/current` declared by two modules):
 * Azure keeps the last write, so the declaration ARM applies last is judged; where ARM's order
 * between the last ones is undefined and they would be judged differently, unknown.
 */
export function judgeLastDeclared(
  declarations: JudgedResource[],
  environment: JudgedEnvironment,
  what: string,
  judgeOne: (declaration: JudgedResource) => ControlResult,
): ControlResult {
  const last = appliedLast(declarations, (declaration) => declaration, environment);
  const results = last.map(judgeOne);
  const first = results[0] as ControlResult;
  if (results.every((result) => result.status === first.status)) {
    return declarations.length > 1
      ? { ...first, message: `${first.message} (the last of ${declarations.length} writes of ${what} ARM applies)` }
      : first;
  }
  return unknown(
    `${what} is written ${declarations.length} times and ARM's order between ${last.length} of them is undefined: ${results.map((result) => result.message).join('; ')}`,
  );
}

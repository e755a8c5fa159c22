/**
 * src/compliance is the pure judge: the gate's data model, the controls of docs/controls.md,
 * waivers and the reports (ARM's expressions are src/arm's). No file or network I/O: src/gate
 * reads the inputs and hands them in. This file runs every control over a JudgedEnvironment.
 */
import picomatch from 'picomatch';
import { errorMessage } from '../core/errors.js';
import { CONTROLS } from './catalog.js';
import type { Control, ControlContext, ControlResult } from './control.js';
import { appliedLast, traceReads } from './controls/access.js';
import type { JudgedEnvironment, JudgedResource } from '../arm/deployed.js';
import type { AbuseMonitoringRecord, BaaEvidence, Finding, GatePolicy, GateReport, Verdict, Waiver } from './model.js';
import type { WaiverProblem } from './waivers.js';
import type { JsonPath } from '../core/json-path.js';

export interface EvaluateOptions {
  policy: GatePolicy;
  waivers?: Waiver[];
  waiverProblems?: WaiverProblem[];
  baa?: BaaEvidence;
  abuseMonitoring?: AbuseMonitoringRecord;
  now: Date;
  controls?: readonly Control[];
  /** When given, filled with the properties each finding's control read (for drift). */
  reads?: WeakMap<Finding, PropertyRead[]>;
}

export interface PropertyRead {
  resource: JudgedResource;
  path: JsonPath;
}

/** Not catalog controls: findings about the input and the waivers themselves. */
export const INPUT_RESOLVABLE = 'input.resolvable';
export const TEMPLATE_VALID = 'template.valid';
export const WAIVER_VALID = 'waiver.valid';

/** Judges every resource against every control that applies to it: one finding per pair, none dropped. */
export function evaluate(environment: JudgedEnvironment, options: EvaluateOptions): GateReport {
  const environmentRef = { type: 'environment', name: environment.input.source, id: '' };
  const findings = [...controlFindings(environment, options, environmentRef), ...inputFindings(environment, environmentRef)];
  // Waivers cover the findings above; a refused waiver's own finding is never waived.
  findings.push(...waiverFindings(findings, options));
  return reportOf(environment, findings, options);
}

type ResourceRef = Finding['resource'];

/** What every control sees: the policy, the environment, the time, and the evidence the config records. */
function contextOf(environment: JudgedEnvironment, options: EvaluateOptions): ControlContext {
  return {
    policy: options.policy,
    environment,
    now: options.now,
    ...(options.baa ? { baa: options.baa } : {}),
    ...(options.abuseMonitoring ? { abuseMonitoring: options.abuseMonitoring } : {}),
  };
}

/** One finding per control and resource it applies to (or per control, for the environment's). */
function controlFindings(environment: JudgedEnvironment, options: EvaluateOptions, environmentRef: ResourceRef): Finding[] {
  const context = contextOf(environment, options);
  const declaredAgain = redeclarations(environment);
  const findings: Finding[] = [];
  for (const control of options.controls ?? CONTROLS) {
    for (const resource of targetsOf(control, environment)) {
      const { result, reads } = judge(control, resource, context, declaredAgain);
      // A resource the template only writes to is judged only where this control read something it wrote.
      if (resource?.notDeployed && !reads.some((read) => read.resource !== resource)) continue;
      const finding = findingOf(control, resource, underUnknownCondition(resource, result), environmentRef);
      findings.push(finding);
      options.reads?.set(finding, reads);
    }
  }
  return findings;
}

/** The resources a control judges: each one it applies to, deployed or written to; or the environment (undefined). */
function targetsOf(control: Control, environment: JudgedEnvironment): (JudgedResource | undefined)[] {
  if (control.appliesTo === 'environment') return [undefined];
  return [...environment.resources, ...(environment.existing ?? [])].filter((resource) => applies(control, resource));
}

/** One control on one resource, with the properties it read of that resource; a control that throws gives unknown. */
function judge(
  control: Control,
  resource: JudgedResource | undefined,
  context: ControlContext,
  declaredAgain: Map<JudgedResource, Redeclaration>,
): { result: ControlResult; reads: PropertyRead[] } {
  const reads: PropertyRead[] = [];
  const judgeOne = (target: JudgedResource | undefined): ControlResult => {
    const own: PropertyRead[] = [];
    const judged = traceReads(
      (read, path) => own.push({ resource: read, path }),
      () => control.evaluate(target, context),
    );
    if (target === resource) reads.push(...own);
    return withoutUncertainWriters(control, target, context, judged, own);
  };
  const declarations = resource && declaredAgain.get(resource);
  try {
    const result = resource && declarations ? judgeRedeclared(resource, declarations, judgeOne) : judgeOne(resource);
    return { result, reads };
  } catch (error) {
    return { result: { status: 'unknown', message: `the control could not judge this resource: ${errorMessage(error)}` }, reads };
  }
}

/**
 * A resource declared more than once: a declaration ARM applies before another is not judged;
 * those ARM may apply last are judged, each with every declaration's children and extensions, and
 * unknown when they differ.
 */
function judgeRedeclared(
  resource: JudgedResource,
  declarations: Redeclaration,
  judgeOne: (target: JudgedResource | undefined) => ControlResult,
): ControlResult {
  if (!declarations.last.includes(resource)) {
    return {
      status: 'not-applicable',
      message: `declared again, and ARM applies a later declaration (${declarations.last.length === 1 ? 'the one judged' : 'those judged'}) after this one: Azure keeps the last write`,
    };
  }
  const result = judgeOne(declarations.merged.get(resource));
  for (const other of declarations.last) {
    if (other === resource) continue;
    const judged = judgeOne(declarations.merged.get(other));
    if (judged.status !== result.status) {
      return {
        status: 'unknown',
        message: `${result.message}; but the resource is declared ${declarations.all.length} times and ARM may apply either of two that differ last (the other: ${judged.message})`,
      };
    }
  }
  return result;
}

/** A resource whose condition cannot be known offline may not be deployed: its failure is unknown. */
function underUnknownCondition(resource: JudgedResource | undefined, result: ControlResult): ControlResult {
  if (!resource?.conditionUnknown || result.status !== 'fail') return result;
  return {
    ...result,
    status: 'unknown',
    message: `${result.message} (the resource's condition cannot be known offline, so it may not be deployed)`,
  };
}

function findingOf(control: Control, resource: JudgedResource | undefined, result: ControlResult, environmentRef: ResourceRef): Finding {
  const location = resource?.locate?.(result.path ?? []);
  return {
    control: control.id,
    status: result.status,
    severity: control.severity,
    hipaa: [...control.hipaa],
    resource: resource ? { type: resource.type, name: resource.name, id: resource.id } : environmentRef,
    message: result.message,
    ...(result.status === 'fail' || result.status === 'unknown' ? { remediation: control.remediation } : {}),
    ...(location ? { location } : {}),
  };
}

/** Findings about the input itself: parameters without a value, mistakes ARM would refuse, values not known offline. */
function inputFindings(environment: JudgedEnvironment, environmentRef: ResourceRef): Finding[] {
  const findings: Finding[] = [];
  const names = environment.missingParameters ?? [];
  if (names.length > 0) {
    findings.push({
      control: INPUT_RESOLVABLE,
      status: 'unknown',
      severity: 'required',
      hipaa: [],
      resource: environmentRef,
      message: `${names.length === 1 ? 'parameter' : 'parameters'} ${names.map((name) => `"${name}"`).join(', ')} ${names.length === 1 ? 'has' : 'have'} no value and no default; what depends on ${names.length === 1 ? 'it is' : 'them is'} unknown`,
      remediation: "Give a parameters file to judge them (--parameters, or the action's parameters input).",
    });
  }
  for (const problem of environment.problems ?? []) {
    findings.push({
      control: TEMPLATE_VALID,
      status: 'fail',
      severity: 'required',
      hipaa: [],
      resource: environmentRef,
      message: problem.message,
      remediation: 'Fix the template: ARM would refuse it. The values that depend on this are judged unknown.',
      ...(problem.location ? { location: problem.location } : {}),
    });
  }
  for (const problem of environment.unresolved) {
    findings.push({
      control: INPUT_RESOLVABLE,
      status: 'unknown',
      severity: 'required',
      hipaa: [],
      resource: environmentRef,
      message: problem.message,
      remediation: 'Make the value known offline (a parameter value or a literal), or judge the live environment instead.',
      ...(problem.location ? { location: problem.location } : {}),
    });
  }
  return findings;
}

/** Applies the waivers in force to `findings`; returns a failing finding for each waiver refused (lapsed, too long, malformed). */
function waiverFindings(findings: Finding[], options: EvaluateOptions): Finding[] {
  const { policy, now } = options;
  const waivers = options.waivers ?? [];
  const lapsed = (waiver: Waiver) => waiverExpired(waiver, now) || waiverTooLong(waiver, now, policy.maxWaiverDays);
  applyWaivers(
    findings,
    waivers.filter((waiver) => !lapsed(waiver)),
  );
  const refused = waivers.filter(lapsed).map((waiver) => lapsedWaiverProblem(waiver, now, policy));
  return [...(options.waiverProblems ?? []), ...refused].map(waiverFinding);
}

function lapsedWaiverProblem(waiver: Waiver, now: Date, policy: GatePolicy): WaiverProblem {
  return {
    message: waiverExpired(waiver, now)
      ? `the waiver of ${waiver.control} on ${waiver.resource} expired on ${waiver.expires}`
      : `the waiver of ${waiver.control} on ${waiver.resource} runs to ${waiver.expires}, ${daysUntil(waiver.expires, now)} days away; the policy allows waivers of at most ${policy.maxWaiverDays} days (gate.maxWaiverDays)`,
    control: waiver.control,
    resource: waiver.resource,
    ...(waiver.location ? { location: waiver.location } : {}),
  };
}

function waiverFinding(problem: WaiverProblem): Finding {
  return {
    control: WAIVER_VALID,
    status: 'fail',
    severity: 'required',
    hipaa: [],
    resource: { type: 'waiver', name: `${problem.control ?? '?'} on ${problem.resource ?? '?'}`, id: '' },
    message: problem.message,
    remediation:
      "Fix or remove the waiver: every waiver needs control, resource, reason, approvedBy and an expires date that has not passed and lies within the policy's gate.maxWaiverDays.",
    ...(problem.location ? { location: problem.location } : {}),
  };
}

function reportOf(environment: JudgedEnvironment, findings: Finding[], options: EvaluateOptions): GateReport {
  return {
    verdict: verdictOf(findings, options.policy),
    input: environment.input,
    judgedAt: options.now.toISOString(),
    summary: summaryOf(findings),
    findings,
    resources: resourcesOf(environment),
  };
}

function summaryOf(findings: Finding[]): GateReport['summary'] {
  const count = (status: Finding['status']) => findings.filter((f) => f.status === status).length;
  return {
    pass: count('pass'),
    fail: count('fail'),
    unknown: count('unknown'),
    waived: count('waived'),
    notApplicable: count('not-applicable'),
  };
}

/** The resources judged, for the report's diagram: each with its parent and, for an extension, its scope. */
function resourcesOf(environment: JudgedEnvironment): GateReport['resources'] {
  const scopeOf = new Map(
    environment.resources.flatMap((resource) => resource.extensions.map((extension) => [extension, resource] as const)),
  );
  return environment.resources.map((resource) => {
    const scope = scopeOf.get(resource);
    return {
      type: resource.type,
      name: resource.name,
      id: resource.id,
      ...(resource.parent ? { parentId: resource.parent.id } : {}),
      ...(scope ? { scopeId: scope.id } : {}),
    };
  });
}

interface Redeclaration {
  all: JudgedResource[];
  /** The declarations ARM may apply last: Azure keeps the last write. */
  last: JudgedResource[];
  /** Each declaration with the children and extensions of every declaration: they belong to the one resource. */
  merged: Map<JudgedResource, JudgedResource>;
}

/** Resources declared more than once (by two modules, say), by declaration. */
function redeclarations(environment: JudgedEnvironment): Map<JudgedResource, Redeclaration> {
  const byId = new Map<string, JudgedResource[]>();
  for (const resource of environment.resources) {
    const id = resource.id.toLowerCase();
    byId.set(id, [...(byId.get(id) ?? []), resource]);
  }
  const found = new Map<JudgedResource, Redeclaration>();
  for (const all of byId.values()) {
    if (all.length < 2) continue;
    const children = [...new Set(all.flatMap((declaration) => declaration.children))];
    const extensions = [...new Set(all.flatMap((declaration) => declaration.extensions))];
    const group: Redeclaration = {
      all,
      last: appliedLast(all, (declaration) => declaration, environment),
      merged: new Map(all.map((declaration) => [declaration, { ...declaration, children, extensions }])),
    };
    for (const declaration of all) found.set(declaration, group);
  }
  return found;
}

/** At most this many resources of unknown condition are tried in every combination; beyond, each alone and all together. */
const MAX_COMBINED_UNCERTAIN = 6;

/**
 * A resource whose `condition` cannot be known offline may or may not be deployed, so it is not
 * counted as present (a diagnostic setting, an auditing setting...): the control is judged again
 * without it (every combination of such resources it read), and where that changes the finding,
 * the finding is unknown.
 */
function withoutUncertainWriters(
  control: Control,
  resource: JudgedResource | undefined,
  context: ControlContext,
  result: ControlResult,
  reads: PropertyRead[],
): ControlResult {
  const uncertain = [...new Set(reads.map((read) => read.resource))].filter((read) => read !== resource && read.conditionUnknown);
  if (uncertain.length === 0) return result;
  for (const absent of combinations(uncertain)) {
    const world = withoutResources(context.environment, absent);
    const judged = control.evaluate(resource && world.view(resource), { ...context, environment: world.environment });
    if (judged.status !== result.status) {
      const names = (list: JudgedResource[]) => list.map((r) => `${r.type.split('/').at(-1)} "${r.name}"`).join(', ');
      return {
        status: 'unknown',
        message: `${result.message}; but that rests on ${names(uncertain)}, whose condition cannot be known offline (${(uncertain[0] as JudgedResource).conditionUnknown?.reason}), and without ${names(absent)}: ${judged.message}`,
        ...(result.path ? { path: result.path } : {}),
      };
    }
  }
  return result;
}

/** Every non-empty subset of `items` to leave out, or, past the limit, each one alone and all together. */
function combinations<T>(items: T[]): T[][] {
  if (items.length > MAX_COMBINED_UNCERTAIN) return [...items.map((item) => [item]), items];
  const subsets: T[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) subsets.push(items.filter((_, index) => (mask >> index) & 1));
  return subsets;
}

/** A copy of the environment without some resources: linked anew, so controls walk it as they walk the original. */
function withoutResources(
  environment: JudgedEnvironment,
  absent: JudgedResource[],
): { environment: JudgedEnvironment; view: (resource: JudgedResource) => JudgedResource } {
  const gone = new Set(absent);
  const map = new Map<JudgedResource, JudgedResource>();
  const kept = environment.resources.filter((r) => !gone.has(r));
  for (const original of kept) map.set(original, { ...original, children: [], extensions: [] });
  for (const [original, copy] of map) {
    if (original.parent) copy.parent = map.get(original.parent) ?? original.parent;
    copy.children = original.children.filter((r) => !gone.has(r)).map((r) => map.get(r) ?? r);
    copy.extensions = original.extensions.filter((r) => !gone.has(r)).map((r) => map.get(r) ?? r);
  }
  // A resource outside the environment (a redeclared one with every declaration's children) is linked anew the same way.
  const view = (resource: JudgedResource): JudgedResource =>
    map.get(resource) ?? {
      ...resource,
      children: resource.children.filter((r) => !gone.has(r)).map((r) => map.get(r) ?? r),
      extensions: resource.extensions.filter((r) => !gone.has(r)).map((r) => map.get(r) ?? r),
    };
  return { environment: { ...environment, resources: kept.map((r) => map.get(r) as JudgedResource) }, view };
}

function applies(control: Control, resource: JudgedResource): boolean {
  if (control.appliesTo === 'every-resource') return true;
  if (control.appliesTo === 'environment') return false;
  const type = resource.type.toLowerCase();
  return control.appliesTo.some((t) => t.toLowerCase() === type);
}

/** A waiver lapses at the end of its `expires` day, UTC. */
export function waiverExpired(waiver: Pick<Waiver, 'expires'>, now: Date): boolean {
  return Date.parse(`${waiver.expires}T23:59:59.999Z`) < now.getTime();
}

const DAY_MS = 86_400_000;

function daysUntil(date: string, now: Date): number {
  return Math.ceil((Date.parse(`${date}T23:59:59.999Z`) - now.getTime()) / DAY_MS);
}

/** A waiver that runs longer than the policy allows (a year by default) is refused, not trimmed: someone reviews it again. */
function waiverTooLong(waiver: Pick<Waiver, 'expires'>, now: Date, maxDays: number): boolean {
  return daysUntil(waiver.expires, now) > maxDays;
}

function applyWaivers(findings: Finding[], waivers: Waiver[]): void {
  const active = waivers.map((waiver) => ({ waiver, matches: picomatch(waiver.resource, { nocase: true }) }));
  for (const finding of findings) {
    if (finding.status !== 'fail' && finding.status !== 'unknown') continue;
    const shortName = finding.resource.name.split('/').pop() ?? finding.resource.name;
    const match = active.find(
      ({ waiver, matches }) => waiver.control === finding.control && (matches(finding.resource.name) || matches(shortName)),
    );
    if (!match) continue;
    finding.status = 'waived';
    finding.waiver = { reason: match.waiver.reason, approvedBy: match.waiver.approvedBy, expires: match.waiver.expires };
    delete finding.remediation;
  }
}

/** Whether a finding blocks promotion under the policy. */
export function isBlocking(finding: Finding, policy: GatePolicy): boolean {
  if (finding.status === 'unknown') return policy.unknownBlocks;
  if (finding.status !== 'fail') return false;
  return finding.severity === 'required' || policy.advisoryBlocks;
}

export function verdictOf(findings: Finding[], policy: GatePolicy): Verdict {
  return findings.some((finding) => isBlocking(finding, policy)) ? 'fail' : 'pass';
}

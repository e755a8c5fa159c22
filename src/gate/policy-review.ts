import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import picomatch from 'picomatch';
import { durationDays } from '../compliance/controls/rules.js';
import type { AbuseMonitoringRecord, GatePolicy, Waiver } from '../compliance/model.js';
import { parseWaivers } from '../compliance/waivers.js';
import { gatePolicyOf } from '../config/gate-policy.js';
import { parseConfigText } from '../config/load.js';
import { ConfigurationError } from '../core/errors.js';
import { parseLocatedDocument } from '../core/located-document.js';

/**
 * The gate's policy and waivers live in the pull request the gate judges, so a pull request can
 * lower the bar it is judged by. This module says so at the top of the report: what the change
 * loosens against its base branch, and whether CODEOWNERS puts those files under review at all.
 */

const run = promisify(execFile);

export interface ReviewRequest {
  /** The repository. */
  cwd: string;
  /** The config file in use (absolute), if any. */
  configFile?: string;
  /** The waivers file in use (absolute), if any. */
  waiversFile?: string;
  /** A git ref of the base branch (the pull request's base commit) to compare the policy with. */
  baseRef?: string;
}

/** Notes for the top of the report. */
export async function reviewPolicyInputs(
  request: ReviewRequest,
  policy: GatePolicy,
  waivers: Waiver[],
  abuseMonitoring?: AbuseMonitoringRecord,
): Promise<string[]> {
  const notes: string[] = [];
  const files = [request.configFile, request.waiversFile].filter((file): file is string => file !== undefined);
  if (files.length > 0) notes.push(...(await codeownersNotes(request.cwd, files)));
  if (request.baseRef) notes.push(...(await looseningNotes(request, policy, waivers, abuseMonitoring)));
  for (const waiver of waivers.filter((candidate) => /^[*/]+$/.test(candidate.resource))) {
    notes.push(
      `The waiver of ${waiver.control} covers every resource ("${waiver.resource}"), until ${waiver.expires}: check that is meant.`,
    );
  }
  return notes;
}

const BASE_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

async function looseningNotes(
  request: ReviewRequest,
  policy: GatePolicy,
  waivers: Waiver[],
  abuseMonitoring: AbuseMonitoringRecord | undefined,
): Promise<string[]> {
  const ref = request.baseRef as string;
  if (!BASE_REF.test(ref))
    throw new ConfigurationError(
      `The base ref "${ref}" is not a git ref name or commit: give the pull request's base commit (github.event.pull_request.base.sha).`,
    );
  const notes: string[] = [];
  if (request.configFile) {
    const base = await fileAt(request.cwd, ref, request.configFile);
    if (base.problem) notes.push(base.problem);
    else if (base.text === undefined)
      notes.push(`The config ${display(request.cwd, request.configFile)} is new against ${ref}: every policy setting in it is new.`);
    else {
      const baseConfig = parseConfigText(base.text, display(request.cwd, request.configFile));
      notes.push(...policyChanges(gatePolicyOf(baseConfig), policy).map((change) => `Loosened against ${ref}: ${change}.`));
      const waiver = abuseMonitoring?.waiver;
      const earlier = baseConfig.ai.openai.abuseMonitoring?.waiver;
      if (waiver && (earlier?.reason !== waiver.reason || earlier.reviewedDate !== waiver.reviewedDate))
        notes.push(
          `New abuse-monitoring waiver against ${ref}: Azure OpenAI may keep flagged prompts for review (ai.openai.abuseMonitoring.waiver: ${waiver.reason}; reviewed by ${waiver.reviewedBy} on ${waiver.reviewedDate}).`,
        );
    }
  }
  if (request.waiversFile) {
    const base = await fileAt(request.cwd, ref, request.waiversFile);
    if (base.problem) notes.push(base.problem);
    else {
      const before =
        base.text === undefined ? [] : parseWaivers(parseLocatedDocument(base.text, display(request.cwd, request.waiversFile))).waivers;
      for (const waiver of waivers) {
        const earlier = before.find(
          (old) => old.control === waiver.control && old.resource.toLowerCase() === waiver.resource.toLowerCase(),
        );
        if (!earlier)
          notes.push(
            `New waiver against ${ref}: ${waiver.control} on ${waiver.resource}, until ${waiver.expires} (${waiver.reason}; approved by ${waiver.approvedBy}).`,
          );
        else if (waiver.expires > earlier.expires)
          notes.push(
            `Waiver extended against ${ref}: ${waiver.control} on ${waiver.resource}, from ${earlier.expires} to ${waiver.expires}.`,
          );
      }
    }
  }
  return notes;
}

/** Each way `after` lets through what `before` blocked. */
export function policyChanges(before: GatePolicy, after: GatePolicy): string[] {
  const changes: string[] = [];
  if (before.unknownBlocks && !after.unknownBlocks)
    changes.push('gate.unknownBlocks went from true to false (values that cannot be known no longer block)');
  if (before.advisoryBlocks && !after.advisoryBlocks) changes.push('gate.advisoryBlocks went from true to false');
  const lower = (name: keyof GatePolicy, was: number, now: number) =>
    now < was && changes.push(`gate.${name} went down from ${was} to ${now}`);
  const higher = (name: keyof GatePolicy, was: number, now: number) =>
    now > was && changes.push(`gate.${name} went up from ${was} to ${now}`);
  lower('minAuditRetentionDays', before.minAuditRetentionDays, after.minAuditRetentionDays);
  lower('minKeyVaultRetentionDays', before.minKeyVaultRetentionDays, after.minKeyVaultRetentionDays);
  higher('baaReviewMaxAgeDays', before.baaReviewMaxAgeDays, after.baaReviewMaxAgeDays);
  higher('maxWaiverDays', before.maxWaiverDays, after.maxWaiverDays);
  if ((durationDays(after.minSqlYearlyRetention) ?? 0) < (durationDays(before.minSqlYearlyRetention) ?? 0))
    changes.push(`gate.minSqlYearlyRetention went down from ${before.minSqlYearlyRetention} to ${after.minSqlYearlyRetention}`);
  for (const [tag, value] of Object.entries(before.requiredTags)) {
    const now = Object.entries(after.requiredTags).find(([name]) => name.toLowerCase() === tag.toLowerCase());
    if (!now) changes.push(`the required tag ${tag} was dropped`);
    else if (value !== null && now[1] === null) changes.push(`the required tag ${tag} no longer has to be "${value}"`);
  }
  return changes;
}

/** A file's text at a git ref; undefined when the file is not there; a problem when git cannot tell. */
async function fileAt(cwd: string, ref: string, file: string): Promise<{ text?: string; problem?: string }> {
  const path = relative(cwd, file).split('\\').join('/');
  try {
    const { stdout } = await run('git', ['-C', cwd, 'show', `${ref}:./${path}`], { maxBuffer: 4 * 1024 * 1024 });
    return { text: stdout };
  } catch (error) {
    const message =
      String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split('\n')[0] ?? '';
    if (/does not exist in|exists on disk, but not in/.test(message)) return {};
    return {
      problem: `Could not compare ${path} with ${ref} (${message}): check out the base commit too (actions/checkout with fetch-depth: 0).`,
    };
  }
}

/** GitHub's CODEOWNERS locations, in the order GitHub looks. */
const CODEOWNERS_FILES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

async function codeownersNotes(cwd: string, files: string[]): Promise<string[]> {
  let rules: { matches: (path: string) => boolean; owners: string[] }[] | undefined;
  for (const candidate of CODEOWNERS_FILES) {
    const text = await readFile(resolve(cwd, candidate), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      rules = parseCodeowners(text);
      break;
    }
  }
  const uncovered = files
    .map((file) => display(cwd, file))
    .filter((path) => {
      // The last matching rule wins, as on GitHub; a rule with no owners removes ownership.
      const rule = (rules ?? []).filter((candidate) => candidate.matches(path)).at(-1);
      return !rule || rule.owners.length === 0;
    });
  if (uncovered.length === 0) return [];
  return [
    `No CODEOWNERS entry covers ${uncovered.join(' and ')}: a pull request can change the gate's policy or waive findings without a security reviewer. Add an owner for ${uncovered.length === 1 ? 'it' : 'them'} in .github/CODEOWNERS and require review from code owners on the default branch.`,
  ];
}

/** A CODEOWNERS file's rules in order (the last that matches a path wins); exported for the repository's own test. */
export function parseCodeowners(text: string): { matches: (path: string) => boolean; owners: string[] }[] {
  return text
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [pattern = '', ...owners] = line.split(/\s+/);
      // gitignore-style: a pattern without a slash matches at any depth; a leading slash anchors; a trailing slash is a directory.
      const anchored = pattern.startsWith('/') || pattern.slice(0, -1).includes('/');
      let glob = pattern.replace(/^\//, '');
      if (glob.endsWith('/')) glob = `${glob}**`;
      const matcher = picomatch(anchored ? glob : `**/${glob}`, { dot: true });
      const inside = picomatch(anchored ? `${glob}/**` : `**/${glob}/**`, { dot: true });
      return { matches: (path: string) => matcher(path) || inside(path), owners };
    });
}

function display(cwd: string, file: string): string {
  const path = relative(cwd, file);
  return path && !path.startsWith('..') && !isAbsolute(path) ? path.split('\\').join('/') : file;
}

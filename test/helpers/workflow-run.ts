/**
 * Runs one of our reusable workflows job by job, as the runner would: jobs in `needs` order, each
 * job's and step's `if:` with GitHub's status functions, every `${{ }}` evaluated by GitHub's own
 * expression engine (@actions/expressions), a step that uses one of our actions run as its bundled
 * `dist/index.js` with its `with:` inputs (runAction sets the rest to their action.yml defaults),
 * `run:` scripts in bash as the runner's default shell runs them, and a called reusable workflow
 * run the same way. Third-party actions are stood in for by what they leave behind: the checkout
 * is the workspace given; azure/login is the job's environment, which the caller builds per job.
 * runStep runs one `run:` step alone; concurrencyGroup resolves a workflow's concurrency group as GitHub does.
 * Not modelled: permissions (test/workflows.test.ts checks them), queueing by concurrency, timeouts, runners.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { parse as parseYaml } from 'yaml';
import { parseOutputFile, parseWorkflowCommands, repoRoot, runAction, type ActionRun } from './run-action.js';

type Result = 'success' | 'failure' | 'skipped';
type Json = Record<string, unknown>;

export interface StepRecord {
  job: string;
  name: string;
  outcome: Result;
  /** The step's stdout (an action's or a script's), for assertions and failure messages. */
  stdout: string;
}

export interface JobRecord {
  result: Result;
  outputs: Record<string, string>;
}

export interface WorkflowRun {
  jobs: Record<string, JobRecord>;
  outputs: Record<string, string>;
  steps: StepRecord[];
}

export interface WorkflowRunOptions {
  /** The workflow file, relative to the repository (`.github/workflows/deploy.yml`). */
  workflow: string;
  inputs: Record<string, string>;
  /** What actions/checkout leaves: the caller's repository. */
  workspace: string;
  /** The `github` context (sha, repository, token, ...). */
  github: Record<string, string>;
  /** The environment a job's steps see: the runner's, plus what azure/login sets for the job's `environment:`. */
  jobEnv: (job: { id: string; environment?: string }) => Record<string, string>;
  /** The `vars` context: the repository's configuration variables (empty unless given). */
  vars?: Record<string, string>;
  /** Called before a job starts (a self-hosted runner inside the network, say). */
  beforeJob?: (id: string) => Promise<void>;
  timeoutMs?: number;
}

const CONTEXTS = ['inputs', 'needs', 'steps', 'github', 'env', 'vars', 'secrets', 'jobs', 'runner', 'job', 'matrix', 'strategy'];
const STATUS_FUNCTION = /\b(always|success|failure|cancelled)\s*\(/i;
const OUR_ACTION = /^(?:azure-hipaa\/azure-hipaa-actions\/|\.\/)actions\/([a-z-]+)(?:@.*)?$/;
const OUR_WORKFLOW = /^(?:azure-hipaa\/azure-hipaa-actions\/|\.\/)(\.github\/workflows\/[a-z-]+\.yml)(?:@.*)?$/;
const STAND_INS = /^(actions\/checkout|azure\/login)@[0-9a-f]{40}$/;

/** What the status functions see: whether everything before succeeded, and whether anything before failed (a skipped job is neither). */
interface Status {
  succeeded: boolean;
  failed: boolean;
}

/** Evaluates one expression (without `${{ }}`) against the contexts, with the status functions of where it stands. */
function evaluate(expression: string, contexts: Json, status: Status = { succeeded: true, failed: false }): data.ExpressionData {
  const functions = new Map(
    (
      [
        ['always', true],
        ['success', status.succeeded],
        ['failure', status.failed],
        ['cancelled', false],
      ] as const
    ).map(([name, value]) => [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) }]),
  );
  const { tokens } = new Lexer(expression).lex();
  const tree = new Parser(tokens, CONTEXTS, [...functions.values()]).parse();
  const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  return new Evaluator(tree, dictionary, functions).evaluate();
}

/** A value with every `${{ }}` replaced, as the runner substitutes them into `with:`, `env:` and `run:`. */
function substitute(value: unknown, contexts: Json): string {
  return String(value ?? '').replace(/\$\{\{(.*?)\}\}/gs, (_match, expression: string) => evaluate(expression, contexts).coerceString());
}

/** GitHub's truthiness: false, 0, '' and null are false; everything else, '0' and 'false' included, is true. */
function truthy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Boolean:
      return value.value;
    case data.Kind.Number:
      return value.value !== 0 && !Number.isNaN(value.value);
    case data.Kind.String:
      return value.value !== '';
    case data.Kind.Null:
      return false;
    case data.Kind.Array:
    case data.Kind.Dictionary:
      return true;
  }
}

/** An `if:` as the runner reads it: without a status function it means `success() && (...)`. */
function condition(text: unknown, contexts: Json, status: Status): boolean {
  if (text === undefined) return status.succeeded;
  const expression = String(text).replace(/^\s*\$\{\{(.*)\}\}\s*$/s, '$1');
  const full = STATUS_FUNCTION.test(expression) ? expression : `success() && (${expression})`;
  return truthy(evaluate(full, contexts, status));
}

function substituteAll(map: unknown, contexts: Json): Record<string, string> {
  return Object.fromEntries(Object.entries((map ?? {}) as Json).map(([key, value]) => [key, substitute(value, contexts)]));
}

function readWorkflow(file: string): Json {
  return parseYaml(readFileSync(join(repoRoot, file), 'utf8')) as Json;
}

/** The `inputs` context of a workflow called with `given`: a workflow_call workflow's each input (or its default) as its declared type. */
export function workflowInputs(file: string, given: Record<string, string>): Record<string, string | boolean | number> {
  const on = readWorkflow(file)['on'] as Json;
  // Any other event's inputs (workflow_dispatch's) are the text given.
  if (on['workflow_call'] === undefined) return given;
  const declared = ((on['workflow_call'] as Json | null)?.['inputs'] ?? {}) as Record<string, Json>;
  // The inputs context keeps each input's declared type: a boolean input is true or false, not a string.
  const inputs: Record<string, string | boolean | number> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? (spec['default'] === undefined ? undefined : String(spec['default']));
    if (value === undefined && spec['required'] === true) throw new Error(`${file}: the required input ${name} is not given`);
    const text = value ?? '';
    inputs[name] = spec['type'] === 'boolean' ? text === 'true' : spec['type'] === 'number' ? Number(text) : text;
  }
  for (const name of Object.keys(given))
    if (!(name in declared)) throw new Error(`${file} declares no input ${name}: the runner would refuse the call`);
  return inputs;
}

/** The `with:` a job gives the reusable workflow it calls, evaluated as the runner evaluates it. */
export function callInputs(
  file: string,
  job: string,
  contexts: { inputs?: Record<string, string>; github: Record<string, string> },
): Record<string, string> {
  const called = (readWorkflow(file)['jobs'] as Record<string, Json>)[job];
  if (typeof called?.['uses'] !== 'string') throw new Error(`${file}: job ${job} calls no reusable workflow`);
  return substituteAll(called['with'], { inputs: workflowInputs(file, contexts.inputs ?? {}), github: contexts.github, vars: {} });
}

/**
 * A workflow's workflow-level concurrency group as GitHub resolves it for one run: `github` is the
 * caller's in a called workflow, `inputs` the called workflow's own. GitHub compares groups case-insensitively.
 */
export function concurrencyGroup(file: string, contexts: { inputs?: Record<string, string>; github: Record<string, string> }): string {
  const concurrency = readWorkflow(file)['concurrency'];
  const group = typeof concurrency === 'object' && concurrency !== null ? (concurrency as Json)['group'] : concurrency;
  if (typeof group !== 'string') throw new Error(`${file} has no concurrency group`);
  return substitute(group, { inputs: workflowInputs(file, contexts.inputs ?? {}), github: contexts.github, vars: {} });
}

export interface StepRunOptions {
  workflow: string;
  job: string;
  /** The step's `name:`. */
  step: string;
  /** The workflow's inputs (a workflow_call workflow's; empty for any other). */
  inputs?: Record<string, string>;
  /** The `github` context; nested where GitHub nests it (`event.release.tag_name`). */
  github: Json;
  needs?: Record<string, { result: Result; outputs: Record<string, string> }>;
  /** The runner's environment for the step (PATH, GITHUB_*); the step's own `env:` is added to it. */
  env: Record<string, string>;
  workspace: string;
  timeoutMs?: number;
}

/** Runs one `run:` step of a workflow in bash as the runner would, its `${{ }}` evaluated from the contexts given. */
export async function runStep(options: StepRunOptions): Promise<ActionRun> {
  const workflow = readWorkflow(options.workflow);
  const job = (workflow['jobs'] as Record<string, Json>)[options.job];
  const step = ((job?.['steps'] ?? []) as Json[]).find((candidate) => candidate['name'] === options.step);
  if (typeof step?.['run'] !== 'string') throw new Error(`${options.workflow}: job ${options.job} has no run step named ${options.step}`);
  const contexts = {
    inputs: workflowInputs(options.workflow, options.inputs ?? {}),
    github: options.github,
    needs: options.needs ?? {},
    vars: {},
    secrets: {},
    steps: {},
    env: options.env,
  };
  const env = { ...options.env, ...substituteAll(step['env'], contexts) };
  return runScript(substitute(step['run'], contexts), env, {
    workspace: options.workspace,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/** Runs a workflow_call workflow (or a caller of one, on: push) to the end and returns every job's result and the workflow's outputs. */
export async function runWorkflow(options: WorkflowRunOptions, steps: StepRecord[] = []): Promise<WorkflowRun> {
  const workflow = readWorkflow(options.workflow);
  const inputs = workflowInputs(options.workflow, options.inputs);

  const jobs = workflow['jobs'] as Record<string, Json>;
  const done: Record<string, JobRecord> = {};
  const failedChain = new Map<string, boolean>();
  while (Object.keys(done).length < Object.keys(jobs).length) {
    const ready = Object.entries(jobs).find(([id, job]) => !(id in done) && needsOf(job).every((need) => need in done));
    if (!ready) throw new Error(`${options.workflow}: the jobs' needs form a cycle or name a job that does not exist`);
    const [id, job] = ready;
    const needs = Object.fromEntries(needsOf(job).map((need) => [need, done[need] as JobRecord]));
    const contexts = { inputs, github: options.github, needs, vars: options.vars ?? {}, secrets: {} };
    // failure() is true when any ancestor job failed, however far up; a skipped job alone is not a failure.
    const status = {
      succeeded: Object.values(needs).every((need) => need.result === 'success'),
      failed: needsOf(job).some((need) => failedChain.get(need) === true),
    };
    if (!condition(job['if'], contexts, status)) {
      done[id] = { result: 'skipped', outputs: {} };
    } else {
      await options.beforeJob?.(id);
      done[id] = await runJob(id, job, contexts, options, steps);
    }
    failedChain.set(id, done[id].result === 'failure' || status.failed);
  }
  const outputs = substituteAll(
    Object.fromEntries(
      // A caller (on: push) has no outputs of its own; its jobs' outputs are in `jobs`.
      Object.entries(((workflow['on'] as Json)['workflow_call'] as Json | null | undefined)?.['outputs'] ?? {}).map(([name, spec]) => [
        name,
        (spec as Json)['value'],
      ]),
    ),
    { jobs: done, inputs, github: options.github },
  );
  return { jobs: done, outputs, steps };
}

function needsOf(job: Json): string[] {
  const needs = job['needs'];
  return needs === undefined ? [] : Array.isArray(needs) ? needs.map(String) : [String(needs)];
}

async function runJob(id: string, job: Json, contexts: Json, options: WorkflowRunOptions, steps: StepRecord[]): Promise<JobRecord> {
  const environment = job['environment'] === undefined ? undefined : substitute(job['environment'], contexts);
  if (typeof job['uses'] === 'string') {
    const called = OUR_WORKFLOW.exec(job['uses'])?.[1];
    if (!called) throw new Error(`job ${id} calls ${job['uses']}, which this runner does not stand in for`);
    const run = await runWorkflow({ ...options, workflow: called, inputs: substituteAll(job['with'], contexts) }, steps);
    const failed = Object.values(run.jobs).some((calledJob) => calledJob.result === 'failure');
    return { result: failed ? 'failure' : 'success', outputs: run.outputs };
  }
  const env = { ...options.jobEnv({ id, ...(environment ? { environment } : {}) }) };
  const stepContexts: Record<string, { outputs: Record<string, string>; outcome: Result; conclusion: Result }> = {};
  let failed = false;
  for (const [index, step] of ((job['steps'] ?? []) as Json[]).entries()) {
    const here = { ...contexts, steps: stepContexts, env };
    const name = String(step['name'] ?? step['uses'] ?? step['run'] ?? `step ${index}`);
    if (!condition(step['if'], here, { succeeded: !failed, failed })) continue;
    const stepEnv = { ...env, ...substituteAll(step['env'], here) };
    let run: Pick<ActionRun, 'exitCode' | 'outputs' | 'stdout' | 'stderr'>;
    if (typeof step['uses'] === 'string') {
      const action = OUR_ACTION.exec(step['uses'])?.[1];
      if (action) {
        run = await runAction(action, {
          inputs: substituteAll(step['with'], here),
          env: stepEnv,
          cwd: options.workspace,
          timeoutMs: options.timeoutMs ?? 300_000,
        });
      } else if (STAND_INS.test(step['uses'])) {
        run = await standIn(step, here, options);
      } else throw new Error(`step "${name}" of job ${id} uses ${step['uses']}, which this runner does not stand in for`);
    } else run = await runScript(substitute(step['run'], here), stepEnv, options);
    const outcome: Result = run.exitCode === 0 ? 'success' : 'failure';
    steps.push({ job: id, name, outcome, stdout: run.stdout + run.stderr });
    if (typeof step['id'] === 'string') stepContexts[step['id']] = { outputs: run.outputs, outcome, conclusion: outcome };
    if (outcome === 'failure') failed = true;
  }
  const outputs = substituteAll(job['outputs'], { ...contexts, steps: stepContexts });
  return { result: failed ? 'failure' : 'success', outputs };
}

/** What a third-party action leaves behind. The checkout of this repository for its CLI is a link to the repository itself. */
async function standIn(step: Json, contexts: Json, options: WorkflowRunOptions): Promise<ActionRun> {
  const uses = String(step['uses']);
  const path = substituteAll(step['with'], contexts)['path'];
  if (uses.startsWith('actions/checkout') && path) {
    // Each job gets a fresh runner; here the workspace is shared, so an earlier job's link is replaced.
    await rm(join(options.workspace, path), { force: true });
    await symlink(repoRoot, join(options.workspace, path));
  }
  return { exitCode: 0, outputs: {}, stdout: '', stderr: '', summary: '', commands: [] };
}

/** A `run:` script as the runner's default shell runs it: `bash --noprofile --norc -eo pipefail`, in the workspace. */
async function runScript(
  script: string,
  env: Record<string, string>,
  options: Pick<WorkflowRunOptions, 'workspace' | 'timeoutMs'>,
): Promise<ActionRun> {
  const work = await mkdtemp(join(tmpdir(), 'workflow-step-'));
  try {
    const file = join(work, 'step.sh');
    const outputFile = join(work, 'github_output');
    await writeFile(file, script);
    await writeFile(outputFile, '');
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
        cwd: options.workspace,
        env: { ...env, GITHUB_OUTPUT: outputFile, GITHUB_WORKSPACE: options.workspace },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? -1, stdout: out, stderr: err });
      });
    });
    const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
    return { exitCode, stdout, stderr, outputs, summary: '', commands: parseWorkflowCommands(stdout) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

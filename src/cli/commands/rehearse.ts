import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startSandbox, type Sandbox } from '../../../sandbox/index.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from '../../../sandbox/dockerd.js';
import { ensurePrerequisites, installCommand, NEEDS, type PackageName } from '../../../sandbox/prerequisites.js';
import { armPort } from '../../azure/arm.js';
import type { ArmPort } from '../../azure/arm-port.js';
import { signedInPrincipal } from '../../azure/credential.js';
import { loadConfig } from '../../config/load.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { pushImage, type ImageRequest, type PushedImage } from '../../deploy/image.js';
import { rollout } from '../../deploy/rollout.js';
import { switchTwilioWebhook } from '../../deploy/webhook.js';
import { runGate } from '../../gate/gate.js';
import { provision, type ProvisionResult } from '../../provision/provision.js';
import { migrateSecrets } from '../../secrets/migrate.js';
import { resolveMigrationOptions } from '../../secrets/options.js';
import { formatReportText } from '../../secrets/report.js';
import type { Command, CommandContext } from '../command.js';
import { CLI_INPUT_NAMES } from './migrate-secrets.js';
import { printPlan } from './plan.js';

const usage = `Usage: azure-hipaa rehearse [--config azure-hipaa.yml] [--context DIR] [--dockerfile F] [--dev-vault NAME]

Rehearses the whole migration against a local Azure sandbox, with your config and your Dockerfile:
plan and gate, provision, migrate the development secrets (dry run, then the copy; through Resource
Manager when the production vault is closed), build and push the image (to the build registry, then
imported by digest, when the config names one), deploy it over the placeholder, deploy it again as the next push does (a candidate
revision, the live gate, promotion at 10, 50 and 100%), and switch the phone number's webhook;
then a table of what happened. Nothing reaches Azure.

  --config F        the environment config (default azure-hipaa.yml, else the built-in defaults)
  --context DIR     the build context (default .); the image must serve the config's targetPort and healthPath
  --dockerfile F    relative to the context (default Dockerfile)
  --dev-vault NAME  the development vault the sandbox seeds with made-up secrets (default dev-secrets)
  --staging-config F  a staging environment's config sharing the build registry: staging is
                    provisioned and deployed, then exactly its digest is promoted to production

The sandbox needs openssl; the image and deploy phases start a docker daemon of the sandbox's own,
which needs root, docker.io and iproute2. Run as root, the rehearsal installs what is missing with
apt-get; otherwise it prints the command and skips the phases that need it.`;

/** The secrets the migration guide moves ("repeat for all 10 secrets"); made-up values in the rehearsal. */
export const VOICE_AGENT_SECRETS = [
  'AzureOpenAIKey',
  'AzureOpenAIEndpoint',
  'AzureSpeechKey',
  'AzureSpeechRegion',
  'AzureSearchKey',
  'AzureSearchEndpoint',
  'TwilioAccountSid',
  'TwilioAuthToken',
  'CosmosDatabaseName',
  'SqlDatabaseName',
];

export interface RehearsalOptions {
  /** The workspace: the config and the build context are read inside it. */
  cwd: string;
  config?: string;
  /** The build context, or a function that writes one into the workspace and returns its path. */
  context: string | ((workspace: string) => Promise<string>);
  dockerfile: string;
  devVault: string;
  /** System packages the image needs besides docker (the demo's busybox-static). */
  imagePackages?: PackageName[];
  /** A staging environment's config sharing the build registry: the rehearsal then promotes staging's digest to production. */
  stagingConfig?: string;
}

interface Phase {
  name: string;
  outcome: 'done' | 'skipped' | 'failed';
  detail: string;
  seconds: number;
}

const PHONE_NUMBER = '+15555550123';

/** One rehearsal: its options, the phases so far, and what earlier phases leave for later ones. */
export interface Rehearsal {
  options: RehearsalOptions;
  context: CommandContext;
  /** The CLI's logger with its info lines indented under the phase. */
  logger: Logger;
  config: EnvironmentConfig;
  phases: Phase[];
  sandbox: Sandbox | undefined;
  dockerd: Dockerd | undefined;
  /** The image the next deploy to production takes. */
  image: string | undefined;
  /** The build context, written once when `options.context` is a function. */
  contextDir: string | undefined;
  /** Production's host name, for the webhook: the edge's when there is one. */
  fqdn: string | undefined;
  /** Production's Front Door endpoint, from provision's outputs: where the deploy probes. */
  edgeHost: string | undefined;
  /** Production's public address behind the edge (its custom domain, else the endpoint): where callers go. */
  appHost: string | undefined;
}

/** Runs every phase it can, each gated by the one before; returns 0 when none failed. */
export async function rehearse(options: RehearsalOptions, context: CommandContext): Promise<number> {
  const { config } = await loadConfig(options.config, { cwd: options.cwd });
  const r: Rehearsal = {
    options,
    context,
    logger: { ...context.logger, info: (message) => context.stdout(`  ${message}\n`) },
    config,
    phases: [],
    sandbox: undefined,
    dockerd: undefined,
    image: undefined,
    contextDir: undefined,
    fqdn: undefined,
    edgeHost: undefined,
    appHost: undefined,
  };
  const { noSandbox, noDocker } = systemPrerequisites(options.imagePackages ?? [], context.stdout);
  await phase(r, 'Plan: render the environment and judge it with the HIPAA gate', undefined, planPhase);
  try {
    await phase(r, 'A local Azure: the sandbox', noSandbox, (r) => sandboxPhase(r, noDocker));
    await phase(r, `Provision ${config.resourceGroup} from the config`, noSandbox, provisionPhase);
    const migration = `Migrate secrets: ${options.devVault} to ${config.keyVault.name} (dry run, then the copy)`;
    await phase(r, migration, noSandbox, secretsPhase);
    const push = config.registry.build
      ? `Build the image, push it to ${config.registry.build.name} with the workflow identity, import it by digest into the closed ${config.registry.name}`
      : 'Build and push the image, signed in with the workflow identity';
    await phase(r, push, noSandbox ?? noDocker, buildAndPush);
    const first = 'First deploy: a candidate at 0%, proven healthy, the live gate, then all traffic (it replaces the placeholder)';
    await phase(r, first, noSandbox ?? noDocker, (r) => deploy(r));
    const next = 'The next push: its image built and pushed, a new revision at 0%, proven healthy, the live gate, then 10, 50 and 100%';
    await phase(r, next, noSandbox ?? noDocker, nextPushPhase);
    const staging = options.stagingConfig;
    await phase(
      r,
      `Staging, then production with one digest: ${staging ?? 'a staging config'} provisioned and deployed, then exactly its digest promoted to production`,
      staging ? (noSandbox ?? noDocker) : 'no staging config (rehearse --staging-config F)',
      (r) => stagingPhase(r, staging as string),
    );
    await phase(r, "Switch the phone number's voice webhook to production", noSandbox ?? noDocker, webhookPhase);
  } finally {
    await r.sandbox?.stop();
    await r.dockerd?.stop();
  }
  return summarize(r);
}

/** Runs `body` as the next phase unless it is `skipped` or an earlier phase failed; records how it ended. */
async function phase(r: Rehearsal, name: string, skipped: string | undefined, body: (r: Rehearsal) => Promise<string>): Promise<void> {
  const { stdout } = r.context;
  stdout(`\n== ${r.phases.length + 1}. ${name}\n`);
  const started = Date.now();
  if (skipped !== undefined || r.phases.some((earlier) => earlier.outcome === 'failed')) {
    const why = skipped ?? 'an earlier phase failed';
    stdout(`  skipped: ${why}\n`);
    r.phases.push({ name, outcome: 'skipped', detail: why, seconds: 0 });
    return;
  }
  try {
    const detail = await body(r);
    r.phases.push({ name, outcome: 'done', detail, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    stdout(`  failed: ${errorMessage(error)}\n`);
    r.phases.push({ name, outcome: 'failed', detail: errorMessage(error).split('\n')[0] ?? '', seconds: (Date.now() - started) / 1000 });
  }
}

/** The environment rendered from the config and judged by the gate, printed as `azure-hipaa plan` prints it. */
export async function planPhase(r: Rehearsal): Promise<string> {
  const { cwd, config } = r.options;
  const run = await runGate({ cwd, ...(config ? { config } : {}), target: {} });
  printPlan(run, r.context.stdout);
  if (run.report.verdict !== 'pass') throw new Error('the HIPAA gate does not pass the plan: fix the findings above first');
  return 'the gate passes';
}

async function sandboxPhase(r: Rehearsal, noDocker: string | undefined): Promise<string> {
  const sandbox = await startSandbox({ vaults: [r.options.devVault], latencyMs: 0, armTimeScale: 0.001, appTimeScale: 0.01 });
  r.sandbox = sandbox;
  if (!noDocker) {
    r.dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });
    sandbox.useDocker(r.dockerd.env);
  }
  const said = noDocker ? `no docker daemon (${noDocker}): the image and deploy phases will be skipped` : 'with a docker daemon of its own';
  r.context.stdout(`  Entra ID, Resource Manager, Key Vault, Container Registry, Container Apps and Twilio on 127.0.0.1, ${said}.\n`);
  return noDocker ? 'no docker daemon' : 'with docker';
}

/** The process environment with the sandbox's and its docker daemon's: what every Azure call and docker command reads. */
function sandboxEnv(r: Rehearsal): NodeJS.ProcessEnv {
  return { ...r.context.env, ...r.sandbox?.env, ...r.dockerd?.env };
}

function arm(r: Rehearsal): ArmPort {
  const env = sandboxEnv(r);
  return armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
}

/** Provisions the environment `configFile` describes, as actions/provision does on a push to main. */
async function provisionEnvironment(r: Rehearsal, configFile: string | undefined): Promise<ProvisionResult> {
  const principal = await signedInPrincipal(sandboxEnv(r));
  return provision(
    {
      cwd: r.options.cwd,
      ...(configFile ? { config: configFile } : {}),
      mode: 'deploy',
      gate: 'block',
      logger: silent(r.context.logger),
      pollIntervalMs: 20,
      ...(principal ? { deployPrincipalId: principal } : {}),
    },
    { arm: arm(r) },
  );
}

async function provisionPhase(r: Rehearsal): Promise<string> {
  const { stdout } = r.context;
  const result = await provisionEnvironment(r, r.options.config);
  if (result.status !== 'deployed') throw new Error(`provision ended ${result.status}`);
  r.edgeHost = result.outputs['edge-host-name'] || undefined;
  r.appHost = result.outputs['app-host-name'] || r.edgeHost;
  if (r.appHost)
    stdout(
      `  The app's edge: https://${r.appHost} (Front Door with its WAF; provision approved its Private Link connection, and the environment refuses the internet).\n`,
    );
  stdout(
    `  ${result.operations.length} resources deployed in one ARM deployment (${result.deploymentName}); the gate passed the template first.\n`,
  );
  if (result.promotion?.build)
    stdout(
      `  Build registry ${result.promotion.build.loginServer}; granted ${result.promotion.granted.join(', ') || 'nothing'}. ${r.config.registry.name} and ${r.config.keyVault.name} stay closed to this machine.\n`,
    );
  return `${result.operations.length} resources`;
}

/** Seeds the development vault with made-up values, then migrates them: a dry run, then the copy. */
async function secretsPhase(r: Rehearsal): Promise<string> {
  const { options, config } = r;
  const { stdout } = r.context;
  const twilio = r.sandbox?.server.twilio.createAccount(PHONE_NUMBER, 'https://dev-voice.example.com/voice');
  const development = r.sandbox?.server.keyVaults.get(options.devVault);
  const wanted = new Set([...VOICE_AGENT_SECRETS, ...Object.values(config.containerApp.secrets)]);
  // Made-up values, generated fresh and never shown; Twilio's are the sandbox account's, so the switch below works.
  for (const name of wanted) {
    const value =
      name === 'TwilioAccountSid'
        ? twilio?.accountSid
        : name === 'TwilioAuthToken'
          ? twilio?.authToken
          : `rehearsal-${randomBytes(12).toString('hex')}`;
    development?.put(name, { value: value ?? '', enabled: true, contentType: 'text/plain' });
  }
  stdout(`  Seeded ${wanted.size} made-up secrets into ${options.devVault}.\n`);
  const migrate = (dryRun: boolean) =>
    migrateSecrets(
      resolveMigrationOptions(
        {
          source: options.devVault,
          target: config.keyVault.name,
          include: [],
          exclude: [],
          overwrite: 'if-changed',
          includeDisabled: false,
          recoverDeleted: true,
          dryRun,
          verify: true,
        },
        CLI_INPUT_NAMES,
      ),
      { logger: silent(r.context.logger), env: sandboxEnv(r) },
    );
  const dry = await migrate(true);
  stdout(`  Dry run:\n${indent(formatReportText(dry))}`);
  const copy = await migrate(false);
  stdout(`  Copy:\n${indent(formatReportText(copy))}`);
  if (copy.counts.failed > 0) throw new Error(`${copy.counts.failed} secret(s) failed`);
  return `copied ${copy.counts.copied}, skipped ${copy.counts.skipped}`;
}

/** Builds the image and pushes it for the environment `configFile` describes. */
async function build(r: Rehearsal, configFile: string | undefined): Promise<PushedImage> {
  const { options } = r;
  // The environment's registry stays closed to this machine: the image goes to the build registry when the
  // config names one, and is imported by digest through Resource Manager.
  r.contextDir ??= typeof options.context === 'string' ? options.context : await options.context(options.cwd);
  const pushed = await pushImage({
    ...imageRequest(r, configFile),
    context: r.contextDir,
    // Another commit each time, as each push to main is: its revision label makes another image.
    commit: randomBytes(20).toString('hex'),
  });
  r.context.stdout(
    pushed.promotedFrom
      ? `  ${pushed.promotedFrom.image}\n  imported by digest into ${pushed.loginServer} through Resource Manager\n`
      : `  ${pushed.image}\n`,
  );
  return pushed;
}

/** What every push of the rehearsal shares. */
function imageRequest(r: Rehearsal, configFile: string | undefined): Omit<ImageRequest, 'context' | 'commit'> {
  const env = sandboxEnv(r);
  return {
    cwd: r.options.cwd,
    ...(configFile ? { config: configFile } : {}),
    dockerfile: r.options.dockerfile,
    buildArgs: {},
    labels: {},
    tags: [],
    tempDir: r.options.cwd,
    env,
    subscriptionId: env['AZURE_SUBSCRIPTION_ID'] as string,
    arm: arm(r),
    logger: silent(r.context.logger),
  };
}

/** Builds and pushes production's next image. */
async function buildAndPush(r: Rehearsal): Promise<string> {
  const pushed = await build(r, r.options.config);
  r.image = pushed.image;
  return pushed.digest.slice(0, 19);
}

/** Rolls `image` out to the environment `configFile` describes: production's latest image by default. */
async function deploy(r: Rehearsal, configFile = r.options.config, image = r.image): Promise<string> {
  const result = await rollout(
    {
      cwd: r.options.cwd,
      ...(configFile ? { config: configFile } : {}),
      ...(image ? { image } : {}),
      stage: 'all',
      suffix: `r${randomBytes(3).toString('hex')}`,
      healthTimeoutSeconds: 120,
      probeCount: 3,
      gate: 'live',
      trafficSteps: [10, 50, 100],
      stepWaitSeconds: 1,
      keepRevisions: 2,
      // Production's steps are probed through its edge, as deploy.yml does; staging has an edge of its own.
      ...(configFile === r.options.config && r.edgeHost ? { edgeHost: r.edgeHost } : {}),
      env: sandboxEnv(r),
      logger: r.logger,
    },
    { arm: arm(r) },
  );
  if (configFile !== r.options.config) return `${result.revision} serves https://${result.fqdn}`;
  r.fqdn = r.appHost ?? result.fqdn;
  return `${result.revision} serves https://${r.fqdn}${r.appHost ? ' (through the edge)' : ''}`;
}

async function nextPushPhase(r: Rehearsal): Promise<string> {
  await buildAndPush(r);
  return deploy(r);
}

/** Provisions staging and deploys a new build there, then promotes exactly staging's digest to production. */
async function stagingPhase(r: Rehearsal, stagingConfig: string): Promise<string> {
  const { stdout } = r.context;
  const provisioned = await provisionEnvironment(r, stagingConfig);
  if (provisioned.status !== 'deployed') throw new Error(`provisioning staging ended ${provisioned.status}`);
  const toStaging = await build(r, stagingConfig);
  stdout(`  Staging: ${await deploy(r, stagingConfig, toStaging.image)}\n`);
  const tested = toStaging.promotedFrom?.image;
  if (!tested) throw new Error('staging was not deployed from the build registry: name registry.build in its config');
  // Production takes exactly what staging runs, refused otherwise, and builds nothing.
  const toProduction = await pushImage({
    ...imageRequest(r, r.options.config),
    image: tested,
    requireDeployedIn: stagingConfig,
    context: '.',
    commit: randomBytes(20).toString('hex'),
  });
  r.image = toProduction.image;
  stdout(`  Production: ${await deploy(r)}\n`);
  if (toProduction.digest !== toStaging.digest) throw new Error(`production got ${toProduction.digest}, staging ran ${toStaging.digest}`);
  stdout(`  One digest from build to production: ${toStaging.digest} (${tested} in staging and production).\n`);
  return `${toStaging.digest.slice(0, 19)} in staging, then production`;
}

async function webhookPhase(r: Rehearsal): Promise<string> {
  const { stdout } = r.context;
  stdout(`  Twilio's credentials read from ${r.options.devVault}, as cutover.yml's job does from outside the network.\n`);
  const result = await switchTwilioWebhook({
    phoneNumber: PHONE_NUMBER,
    url: `https://${r.fqdn}/voice`,
    allowedHosts: r.fqdn ? [r.fqdn] : [],
    // As cutover.yml does from outside the network: the development vault holds the values the migration copied.
    vault: r.options.devVault,
    env: sandboxEnv(r),
    logger: silent(r.context.logger),
  });
  stdout(
    `  ${result.phoneNumber}: VoiceUrl ${result.now.voiceUrl}, fallback ${result.now.fallbackUrl ?? 'none'} (was ${result.previous.voiceUrl}).\n`,
  );
  return `${result.phoneNumber} -> production`;
}

/** Prints the table of what happened; 0 when no phase failed. */
function summarize(r: Rehearsal): number {
  const { stdout } = r.context;
  stdout('\n== What happened\n\n| Phase | Outcome | Seconds | Detail |\n|---|---|---|---|\n');
  for (const [index, done] of r.phases.entries())
    stdout(`| ${index + 1}. ${done.name} | ${done.outcome} | ${done.seconds.toFixed(1)} | ${done.detail.replace(/\|/g, '/')} |\n`);
  stdout('\nThe sandbox and its docker daemon are stopped; nothing reached Azure.\n');
  return r.phases.some((done) => done.outcome === 'failed') ? 1 : 0;
}

/**
 * The system packages the rehearsal needs, installed with apt-get when this process is root (saying
 * what and why), and why the sandbox or the docker phases cannot run when they are still missing.
 */
function systemPrerequisites(
  imagePackages: PackageName[],
  stdout: (text: string) => void,
): { noSandbox: string | undefined; noDocker: string | undefined } {
  const outcome = ensurePrerequisites([...NEEDS.rehearsal, ...imagePackages], (line) => stdout(`${line}\n`));
  if (outcome.reason) stdout(`${outcome.reason}\n`);
  const notInstalled = (names: PackageName[]) =>
    names.length > 0 ? `not installed: ${names.join(', ')} (${installCommand(names)})` : undefined;
  return {
    noSandbox: notInstalled(outcome.missing.filter((name) => name === 'openssl')),
    noDocker: notInstalled(outcome.missing.filter((name) => name !== 'openssl')) ?? dockerdUnavailable(),
  };
}

/** The CLI's logger without its info lines: the rehearsal prints its own summary of each phase. */
function silent(logger: Logger): Logger {
  return { ...logger, info: () => {}, group: (_title, fn) => fn() };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n');
}

export const rehearseCommand: Command = {
  name: 'rehearse',
  summary: 'rehearse the whole migration with your config and Dockerfile in a local sandbox',
  usage,
  async run(context) {
    let values;
    try {
      values = parseArgs({
        args: context.args,
        strict: true,
        options: {
          config: { type: 'string' },
          context: { type: 'string', default: '.' },
          dockerfile: { type: 'string', default: 'Dockerfile' },
          'dev-vault': { type: 'string', default: 'dev-secrets' },
          'staging-config': { type: 'string' },
        },
      }).values;
    } catch (error) {
      throw new ConfigurationError(`${errorMessage(error)}\n\n${usage}`);
    }
    return rehearse(
      {
        cwd: context.cwd,
        ...(values.config ? { config: values.config } : {}),
        context: values.context,
        dockerfile: values.dockerfile,
        devVault: values['dev-vault'],
        ...(values['staging-config'] ? { stagingConfig: values['staging-config'] } : {}),
      },
      context,
    );
  },
};

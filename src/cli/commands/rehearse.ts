import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startSandbox, type Sandbox } from '../../../sandbox/index.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from '../../../sandbox/dockerd.js';
import { ensurePrerequisites, installCommand, NEEDS, type PackageName } from '../../../sandbox/prerequisites.js';
import { armPort } from '../../azure/arm.js';
import { signedInPrincipal } from '../../azure/credential.js';
import { loadConfig } from '../../config/load.js';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { pushImage } from '../../deploy/image.js';
import { rollout } from '../../deploy/rollout.js';
import { switchTwilioWebhook } from '../../deploy/webhook.js';
import { provision } from '../../provision/provision.js';
import { migrateSecrets } from '../../secrets/migrate.js';
import { resolveMigrationOptions } from '../../secrets/options.js';
import { formatReportText } from '../../secrets/report.js';
import type { Command, CommandContext } from '../command.js';
import { CLI_INPUT_NAMES } from './migrate-secrets.js';
import { planCommand } from './plan.js';

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

/** Runs every phase it can, each gated by the one before; returns 0 when none failed. */
export async function rehearse(options: RehearsalOptions, context: CommandContext): Promise<number> {
  const { stdout } = context;
  const phases: Phase[] = [];
  const logger: Logger = { ...context.logger, info: (message) => stdout(`  ${message}\n`) };
  const phase = async (name: string, skipped: string | undefined, body: () => Promise<string>): Promise<boolean> => {
    stdout(`\n== ${phases.length + 1}. ${name}\n`);
    const started = Date.now();
    if (skipped !== undefined || phases.some((earlier) => earlier.outcome === 'failed')) {
      const why = skipped ?? 'an earlier phase failed';
      stdout(`  skipped: ${why}\n`);
      phases.push({ name, outcome: 'skipped', detail: why, seconds: 0 });
      return false;
    }
    try {
      const detail = await body();
      phases.push({ name, outcome: 'done', detail, seconds: (Date.now() - started) / 1000 });
      return true;
    } catch (error) {
      stdout(`  failed: ${errorMessage(error)}\n`);
      phases.push({ name, outcome: 'failed', detail: errorMessage(error).split('\n')[0] ?? '', seconds: (Date.now() - started) / 1000 });
      return false;
    }
  };

  const { config } = await loadConfig(options.config, { cwd: options.cwd });
  const { noSandbox, noDocker } = systemPrerequisites(options.imagePackages ?? [], stdout);
  await phase('Plan: render the environment and judge it with the HIPAA gate', undefined, async () => {
    const exit = await planCommand.run({ ...context, cwd: options.cwd, args: options.config ? ['--config', options.config] : [] });
    if (exit !== 0) throw new Error('the HIPAA gate does not pass the plan: fix the findings above first');
    return 'the gate passes';
  });

  let sandbox: Sandbox | undefined;
  let dockerd: Dockerd | undefined;
  try {
    await phase('A local Azure: the sandbox', noSandbox, async () => {
      sandbox = await startSandbox({ vaults: [options.devVault], latencyMs: 0, armTimeScale: 0.001, appTimeScale: 0.01 });
      if (!noDocker) {
        dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });
        sandbox.useDocker(dockerd.env);
      }
      const said = noDocker
        ? `no docker daemon (${noDocker}): the image and deploy phases will be skipped`
        : 'with a docker daemon of its own';
      stdout(`  Entra ID, Resource Manager, Key Vault, Container Registry, Container Apps and Twilio on 127.0.0.1, ${said}.\n`);
      return noDocker ? 'no docker daemon' : 'with docker';
    });
    const env: NodeJS.ProcessEnv = { ...context.env, ...sandbox?.env, ...dockerd?.env };
    const arm = () => armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);

    await phase(`Provision ${config.resourceGroup} from the config`, noSandbox, async () => {
      const principal = await signedInPrincipal(env);
      const result = await provision(
        {
          cwd: options.cwd,
          ...(options.config ? { config: options.config } : {}),
          mode: 'deploy',
          gate: 'block',
          logger: silent(context.logger),
          pollIntervalMs: 20,
          ...(principal ? { deployPrincipalId: principal } : {}),
        },
        { arm: arm() },
      );
      if (result.status !== 'deployed') throw new Error(`provision ended ${result.status}`);
      stdout(
        `  ${result.operations.length} resources deployed in one ARM deployment (${result.deploymentName}); the gate passed the template first.\n`,
      );
      if (result.promotion?.build)
        stdout(
          `  Build registry ${result.promotion.build.loginServer}; granted ${result.promotion.granted.join(', ') || 'nothing'}. ${config.registry.name} and ${config.keyVault.name} stay closed to this machine.\n`,
        );
      return `${result.operations.length} resources`;
    });

    const twilio = sandbox?.server.twilio.createAccount(PHONE_NUMBER, 'https://dev-voice.example.com/voice');
    await phase(`Migrate secrets: ${options.devVault} to ${config.keyVault.name} (dry run, then the copy)`, noSandbox, async () => {
      const development = sandbox?.server.keyVaults.get(options.devVault);
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
          { logger: silent(context.logger), env },
        );
      const dry = await migrate(true);
      stdout(`  Dry run:\n${indent(formatReportText(dry))}`);
      const copy = await migrate(false);
      stdout(`  Copy:\n${indent(formatReportText(copy))}`);
      if (copy.counts.failed > 0) throw new Error(`${copy.counts.failed} secret(s) failed`);
      return `copied ${copy.counts.copied}, skipped ${copy.counts.skipped}`;
    });

    let image: string | undefined;
    let contextDir: string | undefined;
    const build = async (configFile: string | undefined) => {
      // The environment's registry stays closed to this machine: the image goes to the build registry when the
      // config names one, and is imported by digest through Resource Manager.
      contextDir ??= typeof options.context === 'string' ? options.context : await options.context(options.cwd);
      const pushed = await pushImage({
        cwd: options.cwd,
        ...(configFile ? { config: configFile } : {}),
        context: contextDir,
        dockerfile: options.dockerfile,
        buildArgs: {},
        labels: {},
        tags: [],
        // Another commit each time, as each push to main is: its revision label makes another image.
        commit: randomBytes(20).toString('hex'),
        tempDir: options.cwd,
        env,
        subscriptionId: env['AZURE_SUBSCRIPTION_ID'] as string,
        arm: arm(),
        logger: silent(context.logger),
      });
      stdout(
        pushed.promotedFrom
          ? `  ${pushed.promotedFrom.image}\n  imported by digest into ${pushed.loginServer} through Resource Manager\n`
          : `  ${pushed.image}\n`,
      );
      return pushed;
    };
    const buildAndPush = async () => {
      const pushed = await build(options.config);
      image = pushed.image;
      return pushed.digest.slice(0, 19);
    };
    await phase(
      config.registry.build
        ? `Build the image, push it to ${config.registry.build.name} with the workflow identity, import it by digest into the closed ${config.registry.name}`
        : 'Build and push the image, signed in with the workflow identity',
      noSandbox ?? noDocker,
      buildAndPush,
    );

    let fqdn: string | undefined;
    const deploy = async (configFile = options.config, deployed = image) => {
      const result = await rollout(
        {
          cwd: options.cwd,
          ...(configFile ? { config: configFile } : {}),
          ...(deployed ? { image: deployed } : {}),
          stage: 'all',
          suffix: `r${randomBytes(3).toString('hex')}`,
          healthTimeoutSeconds: 120,
          probeCount: 3,
          gate: 'live',
          trafficSteps: [10, 50, 100],
          stepWaitSeconds: 1,
          keepRevisions: 2,
          env,
          logger,
        },
        { arm: arm() },
      );
      if (configFile === options.config) fqdn = result.fqdn;
      return `${result.revision} serves https://${result.fqdn}`;
    };
    await phase(
      'First deploy: a candidate at 0%, proven healthy, the live gate, then all traffic (it replaces the placeholder)',
      noSandbox ?? noDocker,
      () => deploy(),
    );
    await phase(
      'The next push: its image built and pushed, a new revision at 0%, proven healthy, the live gate, then 10, 50 and 100%',
      noSandbox ?? noDocker,
      async () => {
        await buildAndPush();
        return deploy();
      },
    );

    const staging = options.stagingConfig;
    await phase(
      `Staging, then production with one digest: ${staging ?? 'a staging config'} provisioned and deployed, then exactly its digest promoted to production`,
      staging ? (noSandbox ?? noDocker) : 'no staging config (rehearse --staging-config F)',
      async () => {
        const stagingConfig = staging as string;
        const principal = await signedInPrincipal(env);
        const provisioned = await provision(
          {
            cwd: options.cwd,
            config: stagingConfig,
            mode: 'deploy',
            gate: 'block',
            logger: silent(context.logger),
            pollIntervalMs: 20,
            ...(principal ? { deployPrincipalId: principal } : {}),
          },
          { arm: arm() },
        );
        if (provisioned.status !== 'deployed') throw new Error(`provisioning staging ended ${provisioned.status}`);
        const toStaging = await build(stagingConfig);
        stdout(`  Staging: ${await deploy(stagingConfig, toStaging.image)}\n`);
        const tested = toStaging.promotedFrom?.image;
        if (!tested) throw new Error('staging was not deployed from the build registry: name registry.build in its config');
        // Production takes exactly what staging runs, refused otherwise, and builds nothing.
        const toProduction = await pushImage({
          cwd: options.cwd,
          ...(options.config ? { config: options.config } : {}),
          image: tested,
          requireDeployedIn: stagingConfig,
          context: '.',
          dockerfile: options.dockerfile,
          buildArgs: {},
          labels: {},
          tags: [],
          commit: randomBytes(20).toString('hex'),
          tempDir: options.cwd,
          env,
          subscriptionId: env['AZURE_SUBSCRIPTION_ID'] as string,
          arm: arm(),
          logger: silent(context.logger),
        });
        image = toProduction.image;
        stdout(`  Production: ${await deploy()}\n`);
        if (toProduction.digest !== toStaging.digest)
          throw new Error(`production got ${toProduction.digest}, staging ran ${toStaging.digest}`);
        stdout(`  One digest from build to production: ${toStaging.digest} (${tested} in staging and production).\n`);
        return `${toStaging.digest.slice(0, 19)} in staging, then production`;
      },
    );

    await phase("Switch the phone number's voice webhook to production", noSandbox ?? noDocker, async () => {
      stdout(`  Twilio's credentials read from ${options.devVault}, as cutover.yml's job does from outside the network.\n`);
      const result = await switchTwilioWebhook({
        phoneNumber: PHONE_NUMBER,
        url: `https://${fqdn}/voice`,
        allowedHosts: fqdn ? [fqdn] : [],
        // As cutover.yml does from outside the network: the development vault holds the values the migration copied.
        vault: options.devVault,
        env,
        logger: silent(context.logger),
      });
      stdout(
        `  ${result.phoneNumber}: VoiceUrl ${result.now.voiceUrl}, fallback ${result.now.fallbackUrl ?? 'none'} (was ${result.previous.voiceUrl}).\n`,
      );
      return `${result.phoneNumber} -> production`;
    });
  } finally {
    await sandbox?.stop();
    await dockerd?.stop();
  }

  stdout('\n== What happened\n\n| Phase | Outcome | Seconds | Detail |\n|---|---|---|---|\n');
  for (const [index, done] of phases.entries())
    stdout(`| ${index + 1}. ${done.name} | ${done.outcome} | ${done.seconds.toFixed(1)} | ${done.detail.replace(/\|/g, '/')} |\n`);
  stdout('\nThe sandbox and its docker daemon are stopped; nothing reached Azure.\n');
  return phases.some((done) => done.outcome === 'failed') ? 1 : 0;
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

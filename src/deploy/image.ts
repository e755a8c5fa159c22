/**
 * The image a deploy rolls out: built from the workspace and pushed to the environment's registry
 * under the workflow's Entra identity, or an image already pushed, resolved to its digest. Either
 * way the result is `<login server>/<repository>@sha256:...`, which is what later steps deploy.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { getExecOutput } from '@actions/exec';
import type { ArmPort } from '../azure/arm-port.js';
import { configOf, loadConfig, type LoadedConfig } from '../config/load.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { isInside } from '../core/confined-file.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { checkBuildArgs, checkSecretIds, credentialBuildArgs } from './build-args.js';
import { DockerCli } from './docker.js';
import { imageTheAppRuns, environmentRegistries, importByDigest, requireDeployedIn, type EnvironmentRegistry } from './promote.js';
import { ACR_REFRESH_TOKEN_USER, RegistryClient } from './registry.js';

/**
 * Where the image is pushed: `auto` (the build registry when the config names one, so the environment's
 * registry can stay closed, else the environment's), `build-registry`, or `registry` (the environment's,
 * directly: network.mode public, or a runner inside the network).
 */
export const pushTargets = ['auto', 'build-registry', 'registry'] as const;
export type PushTarget = (typeof pushTargets)[number];

export interface ImageRequest {
  /** The workspace: the config, the build context and the Dockerfile are read only inside it. */
  cwd: string;
  config?: string;
  /** The config as the caller's edge loaded it: not read again. */
  loaded?: LoadedConfig;
  /** An image already pushed (`<login server>/<repository>:<tag>` or `@sha256:...`): resolved, not built. */
  image?: string;
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  /** Build arguments: they stay in the image's history, so no credentials here. */
  buildArgs: Record<string, string>;
  /** BuildKit secrets by id (`RUN --mount=type=secret,id=<id>`): where credentials go; never in the image. */
  secrets?: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  tags: string[];
  repository?: string;
  /** A registry name or login server of the environment (its registry or its build registry); default as `pushTo` says. */
  registry?: string;
  pushTo?: PushTarget;
  /**
   * Another environment's config (staging's) whose app must already run the given image's digest, checked
   * before anything is imported or deployed: production takes only what staging deployed. Needs `image`.
   */
  requireDeployedIn?: string;
  /** The environment's subscription: the registries' resource ids. */
  subscriptionId: string;
  /** Resource Manager, for the import into the environment's registry. */
  arm: ArmPort;
  /** The commit being deployed: the image's tag and its revision label. */
  commit: string;
  /** The repository's URL, for the source label. */
  sourceUrl?: string;
  /** Where the docker CLI keeps its config (RUNNER_TEMP); removed when done. */
  tempDir: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The job's cancellation: the running docker command gets the signal, and the docker config is removed. */
  signal?: AbortSignal;
}

export interface PushedImage {
  /** `<login server>/<repository>@sha256:...` in the environment's registry: what the revision runs. */
  image: string;
  digest: string;
  /** Every `<login server>/<repository>:<tag>` pushed (none for an image given by reference). */
  tags: string[];
  loginServer: string;
  repository: string;
  /** Promoted by digest from the build registry: that image, and whether this run imported it or found the app already running it. */
  promotedFrom?: { image: string; imported: boolean };
}

const LOGIN_SERVER = /^[a-z0-9]{5,50}\.azurecr\.(io|cn|us)$/;
const IMAGE_REFERENCE = /^([^/]+)\/([a-z0-9._/-]+?)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/**
 * The image the request describes, in the environment's registry by digest: built and pushed there,
 * or built and pushed to the build registry and imported by digest, or given (`image`) and resolved,
 * imported when it is in the build registry.
 */
export async function pushImage(request: ImageRequest): Promise<PushedImage> {
  const { config } = await configOf(request);
  const registries = environmentRegistries(config, request.subscriptionId);
  if (request.requireDeployedIn !== undefined && !request.image)
    throw new ConfigurationError(
      `Input "require-deployed-in" (${request.requireDeployedIn}) needs "image": the image that environment runs, by digest. A build here is a new image no other environment has run.`,
    );
  const pushed = request.image
    ? await resolvePushedImage(request, registries)
    : await buildAndPush(request, config, pushRegistry(request, registries));
  if (request.requireDeployedIn !== undefined) {
    const { config: other } = await loadConfig(request.requireDeployedIn, { cwd: request.cwd });
    await requireDeployedIn({
      arm: request.arm,
      config: other,
      configPath: request.requireDeployedIn,
      image: pushed.image,
      digest: pushed.digest,
      logger: request.logger,
    });
  }
  const { production } = registries;
  if (pushed.loginServer === production.loginServer) return pushed;
  const from = registries.build as EnvironmentRegistry;
  const image = `${production.loginServer}/${pushed.repository}@${pushed.digest}`;
  const running = await imageTheAppRuns(request.arm, config, image, request.commit);
  if (running) {
    request.logger.info(
      `Nothing to import into ${production.loginServer}: the app already runs ${running === image ? 'this image' : `commit ${request.commit} (${running})`}.`,
    );
    const digest = running.split('@')[1] ?? pushed.digest;
    return {
      ...pushed,
      image: running,
      digest,
      loginServer: production.loginServer,
      promotedFrom: { image: pushed.image, imported: false },
    };
  }
  await importByDigest({
    arm: request.arm,
    from,
    to: production,
    repository: pushed.repository,
    digest: pushed.digest,
    tags: [request.commit, ...request.tags],
    logger: request.logger,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  return { ...pushed, image, loginServer: production.loginServer, promotedFrom: { image: pushed.image, imported: true } };
}

/** The registry a build is pushed to: the `registry` input (one of the environment's), else as `push-to` says. */
function pushRegistry(request: ImageRequest, registries: ReturnType<typeof environmentRegistries>): EnvironmentRegistry {
  const { production, build } = registries;
  if (request.registry !== undefined) {
    const given = request.registry.toLowerCase();
    const match = [production, build].find((registry) => registry && (given === registry.name || given === registry.loginServer));
    if (!match)
      throw new ConfigurationError(
        `Input "registry": "${request.registry}" is not one of this environment's registries (${[production, build]
          .filter((registry) => registry !== undefined)
          .map((registry) => registry.name)
          .join(', ')}). Images go only to the environment's registry or its build registry (registry.build in the config).`,
      );
    return match;
  }
  const pushTo = request.pushTo ?? 'auto';
  if (pushTo === 'registry') return production;
  if (build) return build;
  if (pushTo === 'build-registry')
    throw new ConfigurationError(
      'Input "push-to" is build-registry, but the config names no build registry: add registry.build (name and resourceGroup) to azure-hipaa.yml.',
    );
  return production;
}

async function resolvePushedImage(request: ImageRequest, registries: ReturnType<typeof environmentRegistries>): Promise<PushedImage> {
  const match = IMAGE_REFERENCE.exec(request.image ?? '');
  const [, loginServer = '', repository = '', tag, givenDigest] = match ?? [];
  if (!match || !LOGIN_SERVER.test(loginServer) || (!tag && !givenDigest))
    throw new ConfigurationError(
      `Input "image": "${request.image}" is not an image in Azure Container Registry by tag or digest (like seniorlyprodacr.azurecr.io/voice-agent:1.4.2 or ...@sha256:<64 hex digits>).`,
    );
  const known = [registries.production, registries.build].filter((registry) => registry !== undefined);
  if (!known.some((registry) => registry.loginServer === loginServer.toLowerCase()))
    throw new ConfigurationError(
      `Input "image": ${request.image} is not in this environment's registries (${known.map((registry) => registry.loginServer).join(', ')}). Deploy only what was pushed to the environment's registry or promoted from its build registry (registry.build in the config).`,
    );
  const client = new RegistryClient(loginServer, request.env);
  const session = await client.signIn(repository, 'pull', request.logger);
  const digest = await client.manifestDigest(session, repository, givenDigest ?? (tag as string));
  if (!digest)
    throw new ConfigurationError(
      `Input "image": ${request.image} is not in ${loginServer}: push it first, or build it here (leave image empty).`,
    );
  request.logger.info(`${request.image} is ${loginServer}/${repository}@${digest}`);
  return { image: `${loginServer}/${repository}@${digest}`, digest, tags: [], loginServer, repository };
}

async function buildAndPush(request: ImageRequest, config: EnvironmentConfig, registry: EnvironmentRegistry): Promise<PushedImage> {
  const { loginServer } = registry;
  const repository = repositoryOf(request, config);
  const { logger } = request;
  const secrets = request.secrets ?? {};
  for (const value of Object.values(secrets)) logger.mask(value);
  checkBuildArgs(request.buildArgs);
  checkSecretIds(secrets);
  for (const { name, why } of credentialBuildArgs(request.buildArgs, request.env))
    logger.warning(
      `Build arg ${name} may be a credential (${why}): build args stay in the image (its history and provenance), where anyone who can pull it reads them. Pass credentials in "secrets" instead, and read them in a RUN --mount=type=secret,id=${name} step.`,
    );
  const context = await insideWorkspace(request.cwd, request.context, 'context');
  const dockerfile = await insideWorkspace(request.cwd, resolve(context, request.dockerfile), 'dockerfile');

  const client = new RegistryClient(loginServer, request.env);
  // Sign in first: a registry this runner cannot reach, or a missing AcrPush, fails before a long build.
  const session = await client.signIn(repository, 'pull,push', logger);
  const docker = await DockerCli.open(request.tempDir, request.env, logger, request.signal);
  try {
    const name = `${loginServer}/${repository}`;
    const tags = [...new Set([request.commit, ...request.tags])].map((tag) => `${name}:${tag}`);
    // The commit's time, not the build's: an unchanged commit builds the same image, and the same digest.
    const { created, epoch } = (await commitTime(request.cwd)) ?? {};
    const labels = {
      ...(request.sourceUrl ? { 'org.opencontainers.image.source': request.sourceUrl } : {}),
      'org.opencontainers.image.revision': request.commit,
      ...(created ? { 'org.opencontainers.image.created': created } : {}),
      ...request.labels,
    };
    await logger.group(`Build ${tags[0]}`, () =>
      docker.build({
        context,
        dockerfile,
        tags,
        labels,
        buildArgs: request.buildArgs,
        secrets,
        ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
        ...(request.target ? { target: request.target } : {}),
      }),
    );
    await docker.login(loginServer, ACR_REFRESH_TOKEN_USER, session.refreshToken);
    const digests = await logger.group(`Push to ${loginServer}`, async () => {
      const pushed: string[] = [];
      for (const tag of tags) pushed.push(await docker.push(tag));
      return pushed;
    });
    const digest = digests[0] as string;
    // The registry's digest, the local image's and what each tag now points at must all agree.
    const local = await docker.repoDigests(tags[0] as string);
    const registryDigest = await client.manifestDigest(session, repository, request.commit);
    if (digests.some((other) => other !== digest) || !local.includes(`${name}@${digest}`) || registryDigest !== digest)
      throw new Error(
        `The pushed digests disagree: docker reported ${digests.join(', ')}, the local image has ${local.join(', ') || 'none'}, the registry has ${registryDigest ?? 'none'}.`,
      );
    logger.info(`Pushed ${name}@${digest}`);
    return { image: `${name}@${digest}`, digest, tags, loginServer, repository };
  } finally {
    await docker.dispose();
  }
}

/** The repository in the registry: the input, else the container app's name. */
function repositoryOf(request: ImageRequest, config: EnvironmentConfig): string {
  const repository = request.repository ?? config.containerApp.name;
  if (!/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/.test(repository))
    throw new ConfigurationError(
      `Input "repository": "${repository}" is not a repository name (lowercase letters, digits, and . _ - / between them).`,
    );
  return repository;
}

async function insideWorkspace(workspace: string, path: string, input: string): Promise<string> {
  const real = await realpath(resolve(workspace, path)).catch(() => {
    throw new ConfigurationError(`Input "${input}": ${path} does not exist in the workspace.`);
  });
  if (!isInside(await realpath(workspace), real))
    throw new ConfigurationError(`Input "${input}": ${path} is outside the workspace; keep it in the repository.`);
  return real;
}

/** The committer time of HEAD in the workspace (ISO 8601 and seconds since the epoch), or undefined outside a git checkout. */
async function commitTime(cwd: string): Promise<{ created: string; epoch: number } | undefined> {
  const run = await getExecOutput('git', ['-C', cwd, 'show', '-s', '--format=%cI %ct', 'HEAD'], {
    silent: true,
    ignoreReturnCode: true,
  }).catch(() => undefined);
  const [created = '', epoch = ''] = run?.exitCode === 0 ? run.stdout.trim().split(' ') : [];
  return /^\d{4}-\d\d-\d\dT/.test(created) && /^\d+$/.test(epoch) ? { created, epoch: Number(epoch) } : undefined;
}

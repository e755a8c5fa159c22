/**
 * Azure Container Apps' runtime, run for real: each template change of an app becomes a revision
 * whose replicas are containers on a docker daemon, pulled from the sandbox's registry by digest
 * with the app's registry identity, probed as the template says, and reported with Azure's
 * revision states. Traffic follows the app's ingress rules; the HTTPS front serves the app, each
 * revision and each label from those containers. The app's ARM resource stays `Succeeded` while a
 * revision fails, as in Azure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AcrEndpoint } from '../acr/endpoint.js';
import type { KeyVaults } from '../keyvault/plane.js';
import { REFRESH_TOKEN_USER } from '../acr/endpoint.js';
import type { Reply } from '../http.js';
import { forward, probeOnce, type Probe } from './replica-http.js';
import type { RequestRecord } from '../monitor/requests.js';
import type { ResourcePlane } from '../arm/resource-plane.js';
import { rolesOn } from '../arm/role-assignments.js';
import { ArmError, isObject, type ArmErrorBody, type Json, type StoredResource } from '../arm/resources.js';

const run = promisify(execFile);

/** The public placeholder image the environment starts with: it cannot be pulled here, so its revisions are stood in for. */
const PLACEHOLDER_IMAGE = /^mcr\.microsoft\.com\/k8se\/quickstart(:|@|$)/;
const MAX_RESTARTS = 3;
const PULLERS = ['Owner', 'Contributor', 'AcrPush', 'AcrPull'];
/** Roles that may read a secret's value on a vault with RBAC authorization (Owner and Contributor may not). */
const SECRET_READERS = ['Key Vault Secrets User', 'Key Vault Secrets Officer', 'Key Vault Administrator'];

export interface AppsRuntimeOptions {
  /** The daemon that runs revisions (DOCKER_HOST); without one, revisions of real images fail and say why. */
  docker?: { env: Record<string, string> };
  /** Probe periods and delays are multiplied by this (0.05: a 10 s period takes 0.5 s). */
  timeScale: number;
}

interface Replica {
  container: string;
  port: number;
  restarts: number;
  started: boolean;
  ready: boolean;
  startupFailures: number;
  readinessFailures: number;
}

export interface Revision {
  name: string;
  suffix: string;
  appId: string;
  template: Json;
  targetPort: number;
  createdTime: string;
  active: boolean;
  provisioningState: 'Provisioning' | 'Provisioned' | 'Failed' | 'Deprovisioning' | 'Deprovisioned';
  runningState: 'Running' | 'Processing' | 'Stopped' | 'Degraded' | 'Failed' | 'Unknown';
  healthState: 'Healthy' | 'Unhealthy' | 'None';
  provisioningError?: string;
  /** When the revision first became Healthy (ms since the epoch): what its start took, for the benchmark. */
  healthyAt?: number;
  replicas: Replica[];
  /** Bumped on every stop or restart, so the supervisor of an earlier start ends. */
  generation: number;
}

export class ContainerAppsRuntime {
  private readonly revisions = new Map<string, Revision[]>();
  private readonly label = `azure-hipaa-sandbox=${randomBytes(6).toString('hex')}`;
  private roundRobin = 0;
  /** Told of every request the ingress routed to a revision: what Azure Monitor's metrics and HTTP logs are made of. */
  onRequest?: (record: RequestRecord) => void;

  constructor(
    private readonly plane: ResourcePlane,
    private readonly registries: AcrEndpoint,
    private readonly keyVaults: KeyVaults,
    private readonly options: AppsRuntimeOptions,
  ) {}

  /** Gives the runtime its docker daemon, when the daemon could only start after the sandbox (it needs the sandbox's proxy). */
  useDocker(env: Record<string, string>): void {
    this.options.docker = { env };
  }

  revisionsOf(appId: string): Revision[] {
    return this.revisions.get(appId.toLowerCase()) ?? [];
  }

  // ---------------------------------------------------------------- the provider's checks and provisioning

  /** Checks a PUT or PATCH before ARM accepts it: the lock of an operation in progress, and the traffic rules. */
  validate(app: StoredResource | undefined, id: string, properties: Json): void {
    const name = id.split('/').at(-1) ?? '';
    if (app && (app.provisioningState === 'Creating' || app.provisioningState === 'Updating'))
      throw new ArmError(
        409,
        'ContainerAppLockConflict',
        `Cannot modify container App '${name}' because another modification is in progress. Please retry the operation.`,
      );
    const configuration = isObject(properties['configuration']) ? properties['configuration'] : {};
    const ingress = isObject(configuration['ingress']) ? configuration['ingress'] : {};
    const traffic = Array.isArray(ingress['traffic']) ? (ingress['traffic'] as Json[]) : [];
    const mode = String(configuration['activeRevisionsMode'] ?? 'Single');
    const invalid = (field: string, details: string) =>
      new ArmError(
        400,
        'InvalidParameterValueInContainerTemplate',
        `The following field(s) are either invalid or missing. Field '${field}' is invalid with details: '${details}';.`,
      );
    const suffix = (isObject(properties['template']) ? properties['template'] : {})['revisionSuffix'];
    // Azure's rule and words (ContainerAppInvalidRevisionName): the suffix and the app's name together at most 54 characters.
    if (
      typeof suffix === 'string' &&
      (!/^[a-z](?:[a-z0-9-]*[a-z0-9])?$/.test(suffix) || suffix.includes('--') || name.length + suffix.length > 54)
    )
      throw new ArmError(
        400,
        'ContainerAppInvalidRevisionName',
        `Revision name has an invalid value '${suffix}'. A revision name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character. The length of the revision name must not be more than a combined 54 characters with the container app name.`,
      );
    if (traffic.length === 0) return;
    if (mode.toLowerCase() === 'single' && (traffic.length > 1 || traffic.some((entry) => Number(entry['weight'] ?? 100) !== 100)))
      throw invalid('configuration.ingress.traffic', 'Invalid value: revision weights can not be used in Single revision mode');
    const sum = traffic.reduce((total, entry) => total + Number(entry['weight'] ?? 0), 0);
    if (sum !== 100)
      throw invalid('configuration.ingress.traffic', `Invalid value: the traffic weights add up to ${sum}; they must add up to 100`);
    const labels = traffic.map((entry) => entry['label']).filter((label) => label !== undefined);
    if (new Set(labels).size !== labels.length) throw invalid('configuration.ingress.traffic', 'Invalid value: a label is used twice');
    const known = new Set(this.revisionsOf(id).map((revision) => revision.name));
    const template = isObject(properties['template']) ? properties['template'] : {};
    if (typeof template['revisionSuffix'] === 'string') known.add(`${name}--${template['revisionSuffix']}`);
    for (const entry of traffic) {
      const revision = entry['revisionName'];
      if (typeof revision === 'string' && !known.has(revision))
        throw invalid('configuration.ingress.traffic', `Invalid value: revision '${revision}' does not exist`);
    }
  }

  /**
   * The provider's work once ARM stored an app: a new revision when the template changed (the image
   * pulled with the app's identity first, as Azure validates it), and Single mode's deactivations.
   * Resolves to the provider's error, which fails the app's operation; the revision then runs on.
   */
  async provision(app: StoredResource): Promise<ArmErrorBody | undefined> {
    const list = this.revisions.get(app.id.toLowerCase()) ?? [];
    this.revisions.set(app.id.toLowerCase(), list);
    const template = isObject(app.properties['template']) ? app.properties['template'] : {};
    const latest = list.at(-1);
    const changed = !latest || JSON.stringify(latest.template) !== JSON.stringify(template);
    if (changed) {
      const suffix =
        typeof template['revisionSuffix'] === 'string' ? template['revisionSuffix'] : randomBytes(4).toString('hex').slice(0, 7);
      if (list.some((revision) => revision.suffix === suffix))
        return this.templateError(app, 'template.revisionsuffix', 'Invalid value:  revision with suffix already exists.');
      const containers = Array.isArray(template['containers']) ? (template['containers'] as Json[]) : [];
      const imageChanged = !latest || JSON.stringify(imagesOf(latest.template)) !== JSON.stringify(imagesOf(template));
      for (const container of imageChanged ? containers : []) {
        const problem = this.pullProblem(app, String(container['image'] ?? ''));
        if (problem) return this.templateError(app, `template.containers.${String(container['name'])}.image`, problem);
      }
      const secretProblem = this.secretProblem(app);
      if (secretProblem) return this.templateError(app, 'configuration.secrets', secretProblem);
      const revision: Revision = {
        name: `${app.name}--${suffix}`,
        suffix,
        appId: app.id,
        template: structuredClone(template),
        targetPort: Number(ingressOf(app)['targetPort'] ?? 80),
        createdTime: new Date().toISOString(),
        active: true,
        provisioningState: 'Provisioning',
        runningState: 'Processing',
        healthState: 'None',
        replicas: [],
        generation: 0,
      };
      list.push(revision);
      void this.start(revision, app);
    }
    if (modeOf(app) === 'single') for (const revision of list.slice(0, -1)) if (revision.active) await this.deactivate(revision);
    return undefined;
  }

  /** Read-only properties the app's GET carries from its revisions. */
  appView(app: StoredResource): Json {
    const list = this.revisionsOf(app.id);
    const latest = list.at(-1);
    const ready = list.filter((revision) => revision.provisioningState === 'Provisioned' && revision.healthState === 'Healthy').at(-1);
    return {
      ...(latest ? { latestRevisionName: latest.name } : {}),
      ...(ready ? { latestReadyRevisionName: ready.name } : {}),
    };
  }

  // ---------------------------------------------------------------- ARM's revision routes

  /** `GET .../revisions[/{name}]` and `POST .../revisions/{name}/{activate|deactivate|restart}`. */
  revisionsRequest(method: string, app: StoredResource, name: string | undefined, action: string | undefined): Reply {
    const list = this.revisionsOf(app.id);
    if (!name) {
      if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      return { status: 200, body: { value: list.map((revision) => this.view(revision, app)) } };
    }
    const revision = list.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
    if (!revision)
      throw new ArmError(404, 'ContainerAppRevisionNotFound', `The revision '${name}' of container app '${app.name}' was not found.`);
    if (!action && method === 'GET') return { status: 200, body: this.view(revision, app) };
    if (method !== 'POST' || !action)
      throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
    if (action === 'deactivate') {
      if (this.weightOf(revision, app) > 0)
        throw new ArmError(
          400,
          'ContainerAppRevisionInUse',
          `The revision '${name}' receives traffic; move its traffic before deactivating it.`,
        );
      void this.deactivate(revision);
    } else if (action === 'activate') {
      if (!revision.active) {
        revision.active = true;
        void this.start(revision, app);
      }
    } else if (action === 'restart') void this.start(revision, app);
    else throw new ArmError(404, 'NotFound', `The action '${action}' is not supported.`);
    return { status: 200, body: {} };
  }

  private view(revision: Revision, app: StoredResource): Json {
    const domain = this.domainOf(app);
    return {
      id: `${app.id}/revisions/${revision.name}`,
      name: revision.name,
      type: 'Microsoft.App/containerApps/revisions',
      properties: {
        createdTime: revision.createdTime,
        lastActiveTime: revision.createdTime,
        fqdn: `${revision.name}.${domain}`,
        template: revision.template,
        active: revision.active,
        replicas: revision.replicas.filter((replica) => replica.started).length,
        trafficWeight: this.weightOf(revision, app),
        provisioningState: revision.provisioningState,
        runningState: revision.runningState,
        healthState: revision.healthState,
        ...(revision.provisioningError ? { provisioningError: revision.provisioningError } : {}),
      },
    };
  }

  // ---------------------------------------------------------------- traffic and the HTTPS front

  /** The weight ingress gives a revision: by name, or as the latest revision. */
  weightOf(revision: Revision, app: StoredResource): number {
    if (!revision.active) return 0;
    const list = this.revisionsOf(app.id);
    if (modeOf(app) === 'single') return revision === list.at(-1) ? 100 : 0;
    const traffic = Array.isArray(ingressOf(app)['traffic']) ? (ingressOf(app)['traffic'] as Json[]) : [];
    return traffic
      .filter((entry) => entry['revisionName'] === revision.name || (entry['latestRevision'] === true && revision === list.at(-1)))
      .reduce((total, entry) => total + Number(entry['weight'] ?? 0), 0);
  }

  /** Whether a host name is an environment's: `<app>[--<suffix>|---<label>].<defaultDomain>`. */
  servesHost(host: string): boolean {
    return this.target(host) !== undefined;
  }

  /**
   * Whether the machine calling the environments' addresses sits inside their network (a
   * self-hosted runner, or GitHub-hosted runners with Azure private networking): its requests reach
   * an environment whose publicNetworkAccess is Disabled through the private endpoint. True by
   * default: the tests' machine stands for such a runner unless a test says it is outside.
   */
  callerInNetwork = true;

  /**
   * A request for an app, a revision or a label, answered by one of its ready replicas. `via`:
   * `private-link` for Front Door's private endpoint, which reaches an environment closed to the internet.
   */
  async serve(
    host: string,
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
    via: 'public' | 'private-link' = 'public',
  ): Promise<Reply> {
    const target = this.target(host);
    if (!target) return { status: 404, body: 'Container App not found.' };
    const { app, revisionName, label } = target;
    if (via === 'public' && !this.callerInNetwork && this.publicAccessDisabled(app))
      return { status: 403, body: 'Forbidden: public network access to this managed environment is disabled.' };
    const list = this.revisionsOf(app.id).filter((revision) => revision.active);
    let revision: Revision | undefined;
    if (revisionName) revision = list.find((candidate) => candidate.name === revisionName);
    else if (label) {
      const entry = (Array.isArray(ingressOf(app)['traffic']) ? (ingressOf(app)['traffic'] as Json[]) : []).find(
        (item) => item['label'] === label,
      );
      const named = entry?.['latestRevision'] === true ? this.revisionsOf(app.id).at(-1)?.name : entry?.['revisionName'];
      revision = list.find((candidate) => candidate.name === named);
    } else {
      const weighted = list.map((candidate) => ({ candidate, weight: this.weightOf(candidate, app) })).filter((item) => item.weight > 0);
      let pick = Math.random() * weighted.reduce((total, item) => total + item.weight, 0);
      revision = weighted.find((item) => (pick -= item.weight) < 0)?.candidate;
    }
    const ready = revision?.replicas.filter((replica) => replica.ready) ?? [];
    const replica = ready[this.roundRobin++ % Math.max(1, ready.length)];
    const started = Date.now();
    const answer =
      !revision || !replica
        ? { status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' }
        : await forward(replica.port, method, path, headers, body);
    if (revision)
      this.onRequest?.({
        at: Date.now(),
        appId: app.id,
        app: app.name,
        environmentId: String(app.properties['environmentId'] ?? ''),
        revision: revision.name,
        status: answer.status,
        durationMs: Date.now() - started,
      });
    return answer;
  }

  private target(host: string): { app: StoredResource; revisionName?: string; label?: string } | undefined {
    const [first = '', ...rest] = host.toLowerCase().split('.');
    const domain = rest.join('.');
    const labelMatch = /^(.+?)---(.+)$/.exec(first);
    const revisionMatch = /^(.+?)--(.+)$/.exec(first);
    const appName = labelMatch?.[1] ?? revisionMatch?.[1] ?? first;
    const app = [...this.plane.resources.values()].find(
      (resource) =>
        resource.type.toLowerCase() === 'microsoft.app/containerapps' &&
        resource.name.toLowerCase() === appName &&
        this.domainOf(resource) === domain,
    );
    if (!app) return undefined;
    if (labelMatch) return { app, label: labelMatch[2] as string };
    if (revisionMatch) return { app, revisionName: first };
    return { app };
  }

  private publicAccessDisabled(app: StoredResource): boolean {
    const environment = this.plane.resources.get(String(app.properties['environmentId'] ?? '').toLowerCase());
    return String(environment?.properties['publicNetworkAccess'] ?? 'Enabled').toLowerCase() === 'disabled';
  }

  private domainOf(app: StoredResource): string {
    const environment = this.plane.resources.get(String(app.properties['environmentId'] ?? '').toLowerCase());
    const view = environment ? (this.plane.view(environment)['properties'] as Json) : {};
    return String(view['defaultDomain'] ?? '').toLowerCase();
  }

  // ---------------------------------------------------------------- replicas

  /** Why the app's registry identity cannot pull `image` from a registry of the sandbox, or undefined. */
  private pullProblem(app: StoredResource, image: string): string | undefined {
    const host = /^([a-z0-9]+)\.azurecr\.io\/(.+?)(?::[^@/]+)?(?:@(sha256:[a-f0-9]{64}))?$/.exec(image);
    if (!host) return undefined;
    const [, registry = '', repository = '', digest] = host;
    const unauthorized = `Invalid value: "${image}": GET https:?scope=repository%3A${encodeURIComponent(repository)}%3Apull&service=${registry}.azurecr.io: UNAUTHORIZED: authentication required, visit https://aka.ms/acr/authorization for more information.`;
    const entry = this.registryEntry(app, `${registry}.azurecr.io`);
    const principal = entry ? this.principalOf(String(entry['identity'] ?? '')) : undefined;
    const registryId = this.registries.resourceId(registry);
    if (!principal || !registryId || !rolesOn(this.plane, principal, registryId).some((role) => PULLERS.includes(role)))
      return unauthorized;
    const content = this.registries.content(registry);
    const reference = digest ?? /:([^@/:]+)$/.exec(image)?.[1] ?? 'latest';
    if (!content.manifestDigest(repository, reference))
      return `Invalid value: "${image}": MANIFEST_UNKNOWN: manifest tagged by "${reference}" is not found`;
    return undefined;
  }

  /** The app's secrets as Azure resolves them: Key Vault references read with their identity, or inline values. */
  private secrets(app: StoredResource): { name: string; value?: string; problem?: string }[] {
    const configuration = isObject(app.properties['configuration']) ? app.properties['configuration'] : {};
    const secrets = Array.isArray(configuration['secrets']) ? (configuration['secrets'] as Json[]) : [];
    return secrets.map((secret) => {
      const name = String(secret['name'] ?? '');
      if (typeof secret['value'] === 'string') return { name, value: secret['value'] };
      const identity = String(secret['identity'] ?? '');
      const unable = `Invalid value: "${name}": Unable to get value using Managed identity ${identity} for secret ${name}. Error: unable to fetch secret '${name}' using Managed identity '${identity}'`;
      const reference = /^https:\/\/([a-z0-9-]+)\.vault\.azure\.net\/secrets\/([^/]+)/i.exec(String(secret['keyVaultUrl'] ?? ''));
      const vaultResource = [...this.plane.resources.values()].find(
        (resource) =>
          resource.type.toLowerCase() === 'microsoft.keyvault/vaults' && resource.name.toLowerCase() === reference?.[1]?.toLowerCase(),
      );
      const principal = this.principalOf(identity);
      if (
        !reference ||
        !vaultResource ||
        !principal ||
        !rolesOn(this.plane, principal, vaultResource.id).some((role) => SECRET_READERS.includes(role))
      )
        return { name, problem: unable };
      const stored = this.keyVaults.get(reference[1] as string)?.get(reference[2] as string);
      const latest = stored && !stored.secret.deletedAt ? stored.secret.versions.at(-1) : undefined;
      return latest && latest.enabled ? { name, value: latest.value } : { name, problem: unable };
    });
  }

  private secretProblem(app: StoredResource): string | undefined {
    return this.secrets(app).find((secret) => secret.problem)?.problem;
  }

  private registryEntry(app: StoredResource, server: string): Json | undefined {
    const configuration = isObject(app.properties['configuration']) ? app.properties['configuration'] : {};
    const registries = Array.isArray(configuration['registries']) ? (configuration['registries'] as Json[]) : [];
    return registries.find((entry) => String(entry['server'] ?? '').toLowerCase() === server);
  }

  private principalOf(identityId: string): string | undefined {
    const identity = this.plane.resources.get(identityId.toLowerCase());
    if (!identity) return undefined;
    return String((this.plane.view(identity)['properties'] as Json)['principalId'] ?? '') || undefined;
  }

  private templateError(app: StoredResource, field: string, details: string): ArmErrorBody {
    return {
      code: 'InvalidParameterValueInContainerTemplate',
      message: `The following field(s) are either invalid or missing. Field '${field}' is invalid with details: '${details}';.`,
      target: app.name,
    };
  }

  /** Pulls the image as the app's identity, starts minReplicas containers, then supervises them until stopped. */
  private async start(revision: Revision, app: StoredResource): Promise<void> {
    const generation = ++revision.generation;
    await this.removeContainers(revision);
    Object.assign(revision, { provisioningState: 'Provisioning', runningState: 'Processing', healthState: 'None', replicas: [] });
    delete revision.provisioningError;
    const container = ((revision.template['containers'] as Json[] | undefined) ?? [])[0] ?? {};
    const image = String(container['image'] ?? '');
    if (PLACEHOLDER_IMAGE.test(image)) {
      Object.assign(revision, { provisioningState: 'Provisioned', runningState: 'Running', healthState: 'Healthy' });
      return;
    }
    const docker = this.options.docker;
    if (!docker)
      return this.fail(revision, 'The sandbox has no docker daemon to run revisions: start it with the docker option (DOCKER_HOST).');
    try {
      await this.pull(app, image, docker.env);
      const replicas = Math.max(1, Math.min(3, Number((revision.template['scale'] as Json | undefined)?.['minReplicas'] ?? 1)));
      // Values reach docker through its environment (`--env NAME`), never its command line: they may be secrets.
      const secrets = new Map(this.secrets(app).map((secret) => [secret.name, secret.value]));
      const values: Record<string, string> = {};
      for (const variable of (container['env'] as Json[] | undefined) ?? []) {
        const value = typeof variable['value'] === 'string' ? variable['value'] : secrets.get(String(variable['secretRef'] ?? ''));
        if (value !== undefined) values[String(variable['name'])] = value;
      }
      const env = Object.keys(values).flatMap((name) => ['--env', name]);
      for (let index = 0; index < replicas; index++) {
        const name = `${revision.name}-${index}-${randomBytes(3).toString('hex')}`;
        const { stdout } = await run(
          'docker',
          ['run', '--detach', '--label', this.label, '--name', name, '--publish', `127.0.0.1::${revision.targetPort}`, ...env, image],
          { env: { ...docker.env, ...values } },
        );
        const id = stdout.trim();
        const port = await this.hostPort(id, revision.targetPort, docker.env);
        revision.replicas.push({
          container: id,
          port,
          restarts: 0,
          started: false,
          ready: false,
          startupFailures: 0,
          readinessFailures: 0,
        });
      }
    } catch (error) {
      return this.fail(revision, `Failed to start revision '${revision.name}': ${firstLine(error)}`);
    }
    await this.supervise(revision, container, generation, docker.env);
  }

  private async pull(app: StoredResource, image: string, env: Record<string, string>): Promise<void> {
    const registry = /^([a-z0-9]+)\.azurecr\.io\//.exec(image)?.[1];
    if (!registry) throw new Error(`image ${image} is in no registry this environment can reach`);
    const principal = this.principalOf(String(this.registryEntry(app, `${registry}.azurecr.io`)?.['identity'] ?? '')) ?? '';
    const config = await mkdtemp(join(tmpdir(), 'sandbox-pull-'));
    try {
      const token = this.registries.refreshTokenFor(registry, principal);
      await writeFile(
        join(config, 'config.json'),
        JSON.stringify({
          auths: { [`${registry}.azurecr.io`]: { auth: Buffer.from(`${REFRESH_TOKEN_USER}:${token}`).toString('base64') } },
        }),
      );
      await run('docker', ['--config', config, 'pull', '--quiet', image], { env });
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  }

  private async supervise(revision: Revision, container: Json, generation: number, env: Record<string, string>): Promise<void> {
    const probes = this.probesOf(container, revision.targetPort);
    const startup = probes.find((probe) => probe.type === 'Startup') as Probe;
    const readiness = probes.find((probe) => probe.type === 'Readiness') as Probe;
    const tick = Math.min(startup.periodMs, readiness.periodMs);
    // A deactivation or restart while a round awaits docker or a probe ends the round unwritten: its answers are stale.
    const current = () => revision.generation === generation && revision.active;
    while (current()) {
      await sleep(tick);
      if (!current()) return;
      for (const replica of revision.replicas) {
        const state = await run('docker', ['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', replica.container], {
          env,
        }).catch(() => undefined);
        if (!current()) return;
        const [running, exitCode] = (state?.stdout.trim() ?? 'false -1').split(' ');
        if (running !== 'true') {
          replica.started = replica.ready = false;
          if (++replica.restarts > MAX_RESTARTS)
            return this.fail(
              revision,
              `Container '${String(container['name'])}' of revision '${revision.name}' keeps exiting (exit code ${exitCode}): CrashLoopBackOff. Check the container's logs.`,
              'Failed',
            );
          await run('docker', ['start', replica.container], { env }).catch(() => undefined);
          replica.port = await this.hostPort(replica.container, revision.targetPort, env);
          if (!current()) return;
          continue;
        }
        if (!replica.started) {
          const passed = await probeOnce(startup, replica.port);
          if (!current()) return;
          if (passed) replica.started = true;
          else if (++replica.startupFailures >= startup.failureThreshold) {
            replica.startupFailures = 0;
            await run('docker', ['restart', '--time', '1', replica.container], { env }).catch(() => undefined);
            // A restarted container gets a new ephemeral host port; the old one may already be another container's
            // (another daemon's, when test files run side by side), whose answers would pass this replica's probes.
            replica.port = await this.hostPort(replica.container, revision.targetPort, env);
            if (!current()) return;
            if (++replica.restarts > MAX_RESTARTS)
              return this.fail(
                revision,
                `The startup probe of container '${String(container['name'])}' failed ${MAX_RESTARTS} times: the revision never became ready.`,
                'Failed',
              );
          }
          continue;
        }
        const answered = await probeOnce(readiness, replica.port);
        if (!current()) return;
        if (answered) {
          replica.ready = true;
          replica.readinessFailures = 0;
        } else if (++replica.readinessFailures >= readiness.failureThreshold) replica.ready = false;
      }
      if (!current()) return;
      // No replica is no evidence: a revision without replicas is neither started nor ready.
      const started = revision.replicas.length > 0 && revision.replicas.every((replica) => replica.started);
      const ready = started && revision.replicas.every((replica) => replica.ready);
      if (started && revision.provisioningState === 'Provisioning') revision.provisioningState = 'Provisioned';
      if (started) {
        if (ready && revision.healthyAt === undefined) revision.healthyAt = Date.now();
        revision.healthState = ready
          ? 'Healthy'
          : revision.replicas.some((replica) => replica.readinessFailures >= readiness.failureThreshold)
            ? 'Unhealthy'
            : revision.healthState;
        revision.runningState = ready ? 'Running' : revision.healthState === 'Unhealthy' ? 'Degraded' : 'Processing';
      }
    }
  }

  /** The port on 127.0.0.1 docker published the container's `port` on; 0 while it is not running. */
  private async hostPort(container: string, port: number, env: Record<string, string>): Promise<number> {
    const published = await run('docker', ['port', container, `${port}/tcp`], { env }).catch(() => undefined);
    return Number(/:(\d+)\s*$/.exec(published?.stdout.trim() ?? '')?.[1] ?? 0);
  }

  /** The template's probes, with Azure's defaults (TCP on the target port) for those it leaves out; periods scaled. */
  private probesOf(container: Json, targetPort: number): Probe[] {
    const declared = Array.isArray(container['probes']) ? (container['probes'] as Json[]) : [];
    const scale = (seconds: number) => Math.max(25, seconds * 1000 * this.options.timeScale);
    return (['Startup', 'Readiness', 'Liveness'] as const).map((type) => {
      const probe = declared.find((item) => item['type'] === type);
      const http = isObject(probe?.['httpGet']) ? probe['httpGet'] : undefined;
      return {
        type,
        ...(http ? { path: String(http['path'] ?? '/') } : {}),
        port: Number(http?.['port'] ?? (probe?.['tcpSocket'] as Json | undefined)?.['port'] ?? targetPort),
        periodMs: scale(Number(probe?.['periodSeconds'] ?? (type === 'Startup' ? 1 : 5))),
        failureThreshold: Number(probe?.['failureThreshold'] ?? 3),
        timeoutMs: Math.max(200, Number(probe?.['timeoutSeconds'] ?? 1) * 1000),
      };
    });
  }

  private fail(revision: Revision, message: string, runningState: Revision['runningState'] = 'Failed'): void {
    revision.generation++;
    Object.assign(revision, { provisioningState: 'Failed', runningState, healthState: 'Unhealthy', provisioningError: message });
  }

  private async deactivate(revision: Revision): Promise<void> {
    revision.generation++;
    Object.assign(revision, { active: false, runningState: 'Stopped', healthState: 'None' });
    await this.removeContainers(revision);
    revision.replicas = [];
  }

  private async removeContainers(revision: Revision): Promise<void> {
    const env = this.options.docker?.env;
    if (!env || revision.replicas.length === 0) return;
    await run('docker', ['rm', '--force', ...revision.replicas.map((replica) => replica.container)], { env }).catch(() => undefined);
  }

  /** Removes every container the sandbox started. */
  async stop(): Promise<void> {
    for (const list of this.revisions.values()) for (const revision of list) revision.generation++;
    const env = this.options.docker?.env;
    if (!env) return;
    const { stdout } = await run('docker', ['ps', '--all', '--quiet', '--filter', `label=${this.label}`], { env }).catch(() => ({
      stdout: '',
    }));
    const ids = stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await run('docker', ['rm', '--force', ...ids], { env }).catch(() => undefined);
  }
}

function modeOf(app: StoredResource): string {
  const configuration = isObject(app.properties['configuration']) ? app.properties['configuration'] : {};
  return String(configuration['activeRevisionsMode'] ?? 'Single').toLowerCase();
}

function ingressOf(app: StoredResource): Json {
  const configuration = isObject(app.properties['configuration']) ? app.properties['configuration'] : {};
  return isObject(configuration['ingress']) ? configuration['ingress'] : {};
}

function imagesOf(template: Json): string[] {
  return ((template['containers'] as Json[] | undefined) ?? []).map((container) => String(container['image'] ?? ''));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function firstLine(error: unknown): string {
  const text = String((error as { stderr?: unknown }).stderr || (error as Error).message || error);
  return text.trim().split('\n')[0] ?? text;
}

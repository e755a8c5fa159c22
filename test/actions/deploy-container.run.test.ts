/**
 * deploy-container's run() in-process: an image given by tag, resolved in the sandbox's registry, then
 * rolled out over a fake ARM whose new revision fails at once. The config is read once, at the action's
 * edge: the push and the rollout are handed it in one request, and read no config of their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/deploy-container/src/run.js';
import { digestOf } from '../../sandbox/acr/registry.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { ArmResponse } from '../../src/azure/arm-port.js';
import { parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import { recordedIO } from '../helpers/action-io.js';
import { fakeArm } from '../helpers/fake-arm.js';
import { createRegistry } from '../helpers/images.js';

const REGISTRY = 'hipaaonceacr';
const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000cc';
const DOMAIN = 'calmwater-1234.eastus2.azurecontainerapps.io';
let sandbox: Sandbox;
let work: string;
let digest: string;
beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  await createRegistry(sandbox, REGISTRY, 'Enabled');
  // An image already in the registry, by tag: pushed by an earlier job.
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
  digest = digestOf(manifest);
  const repository = sandbox.server.registries.content(REGISTRY).repository('voice-agent');
  repository.manifests.set(digest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: manifest });
  repository.tags.set('1.4.2', digest);
  // No config file in the workspace: a push or rollout that read one itself would get the built-in defaults.
  work = await mkdtemp(join(tmpdir(), 'deploy-once-'));
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The config the edge loads: names no file holds, so a push or rollout that read its own would find other names. */
const CONFIG = `resourceGroup: once-rg\nregistry:\n  name: ${REGISTRY}\ncontainerApp:\n  name: once-app\n`;
const APP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/once-rg/providers/Microsoft.App/containerApps/once-app`;

/** ARM for the config's app, serving once-app--v1, whose every new revision fails to provision. */
const arm = fakeArm(SUBSCRIPTION, {
  send: async (method, path): Promise<ArmResponse> => {
    const answer = (status: number, body?: unknown): ArmResponse => ({ status, body, headers: {} });
    if (method === 'GET' && path === APP)
      return answer(200, {
        properties: {
          latestRevisionName: 'once-app--v1',
          configuration: {
            activeRevisionsMode: 'Multiple',
            ingress: { fqdn: `once-app.${DOMAIN}`, targetPort: 8000, traffic: [{ revisionName: 'once-app--v1', weight: 100 }] },
          },
          template: { containers: [{ name: 'once-app', image: `${REGISTRY}.azurecr.io/voice-agent@sha256:${'1'.repeat(64)}` }] },
        },
      });
    if (method === 'GET' && path.endsWith('/revisions'))
      return answer(200, { value: [{ name: 'once-app--v1', properties: { active: true } }] });
    if (method === 'GET' && path.startsWith(`${APP}/revisions/`))
      return answer(200, {
        name: path.split('/').at(-1),
        properties: { active: true, provisioningState: 'Failed', runningState: 'Failed', provisioningError: 'the image has no layers' },
      });
    if (method === 'PATCH' && path === APP) return answer(200, {});
    throw new Error(`unexpected ${method} ${path}`);
  },
});

describe('deploy-container reads once', () => {
  it('loads the config once, at its edge, and the push and the rollout use what it loaded', async () => {
    const io = recordedIO(
      'deploy-container',
      { image: `${REGISTRY}.azurecr.io/voice-agent:1.4.2`, gate: 'none', 'subscription-id': SUBSCRIPTION },
      {
        ...process.env,
        ...sandbox.env,
        GITHUB_WORKSPACE: work,
        RUNNER_TEMP: work,
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        GITHUB_RUN_ID: '7',
      },
    );
    const loads: (string | undefined)[] = [];
    const config = async (path: string | undefined): Promise<LoadedConfig> => {
      loads.push(path);
      return { config: parseConfigText(CONFIG, 'azure-hipaa.yml'), source: 'azure-hipaa.yml', baseDir: work };
    };
    await run(io, { arm: () => arm, config });
    // The rollout ran on the resolved image, and failed where the fake ARM says.
    expect(io.outputs['image']).toBe(`${REGISTRY}.azurecr.io/voice-agent@${digest}`);
    expect(io.failed).toMatch(
      /^Deploy of hipaaonceacr\.azurecr\.io\/voice-agent@sha256:[a-f0-9]{64} failed: Revision once-app--c0123456-7-1 is Failed\/Failed/,
    );
    expect(io.outputs['rolled-back']).toBe('true');
    expect(loads).toEqual([undefined]);
  });
});

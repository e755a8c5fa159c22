/** The live reader over a fake ArmPort: what it reads, at which api-version, and what it refuses to guess. */
import { describe, expect, it } from 'vitest';
import { apiVersionOf } from '../../src/azure/resource-types.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { isUnknown } from '../../src/arm/values.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { readLiveEnvironment } from '../../src/gate/live.js';
import { fakeArm } from '../helpers/fake-arm.js';
import type { ArmPort, ListedResource } from '../../src/azure/arm-port.js';

const group = '/subscriptions/sub/resourceGroups/rg/providers';

/** A resource group's list and the GET answers by path; every GET is recorded. */
function armWith(listed: ListedResource[], bodies: Record<string, { status: number; body: unknown }>): ArmPort & { gets: string[] } {
  const gets: string[] = [];
  const arm = fakeArm('sub', {
    listResources: async () => listed,
    get: async (path, apiVersion) => {
      gets.push(`${path}?api-version=${apiVersion}`);
      return bodies[path] ?? { status: 404, body: { error: { code: 'ResourceNotFound', message: `${path} not found` } } };
    },
  });
  return { ...arm, gets };
}

describe('the live reader', () => {
  it('reads a registered type at its registered api-version, with its children and diagnostic settings', async () => {
    const vault = `${group}/Microsoft.KeyVault/vaults/kv`;
    const arm = armWith([{ id: vault, type: 'Microsoft.KeyVault/vaults', envelope: {} }], {
      [vault]: { status: 200, body: { properties: { enablePurgeProtection: true } } },
      [`${vault}/providers/Microsoft.Insights/diagnosticSettings`]: { status: 200, body: { value: [] } },
    });
    const environment = await readLiveEnvironment(arm, 'rg');
    expect(arm.gets).toContain(`${vault}?api-version=${apiVersionOf('Microsoft.KeyVault/vaults')}`);
    expect(arm.gets).toContain(
      `${vault}/providers/Microsoft.Insights/diagnosticSettings?api-version=${apiVersionOf('Microsoft.Insights/diagnosticSettings')}`,
    );
    expect(environment.resources[0]?.body).toEqual({ properties: { enablePurgeProtection: true } });
  });

  it('reads the AI services at their registered api-versions with their diagnostic settings and role assignments, and the controls judge them', async () => {
    const openai = `${group}/Microsoft.CognitiveServices/accounts/oai`;
    const search = `${group}/Microsoft.Search/searchServices/srch`;
    const app = `${group}/Microsoft.App/containerApps/voice-agent`;
    const identity = `${group}/Microsoft.ManagedIdentity/userAssignedIdentities/app-identity`;
    const grant = (scope: string, name: string, role: string, principalId: string) => ({
      status: 200,
      body: {
        value: [
          {
            id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
            name,
            type: 'Microsoft.Authorization/roleAssignments',
            properties: {
              roleDefinitionId: `/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/${role}`,
              principalId,
              principalType: 'ServicePrincipal',
              scope,
            },
          },
        ],
      },
    });
    const settings = (scope: string, category: string) => ({
      status: 200,
      body: {
        value: [
          {
            id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/audit`,
            name: 'audit',
            properties: { workspaceId: `${group}/Microsoft.OperationalInsights/workspaces/logs`, logs: [{ category, enabled: true }] },
          },
        ],
      },
    });
    const arm = armWith(
      [
        { id: openai, type: 'Microsoft.CognitiveServices/accounts', envelope: {} },
        { id: search, type: 'Microsoft.Search/searchServices', envelope: {} },
        { id: app, type: 'Microsoft.App/containerApps', envelope: {} },
      ],
      {
        [app]: {
          status: 200,
          body: {
            identity: {
              type: 'UserAssigned',
              userAssignedIdentities: { [identity]: { principalId: '11111111-aaaa-4aaa-8aaa-111111111111', clientId: 'c' } },
            },
            properties: {},
          },
        },
        // Cognitive Services OpenAI User for the app's identity; Search Index Data Reader for someone else.
        [`${openai}/providers/Microsoft.Authorization/roleAssignments`]: grant(
          openai,
          'g1',
          '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
          '11111111-AAAA-4AAA-8AAA-111111111111',
        ),
        [`${search}/providers/Microsoft.Authorization/roleAssignments`]: grant(
          search,
          'g2',
          '1407120a-92aa-4202-b7e9-c0e197c71c8f',
          '22222222-bbbb-4bbb-8bbb-222222222222',
        ),
        [openai]: {
          status: 200,
          body: {
            kind: 'OpenAI',
            properties: {
              disableLocalAuth: true,
              publicNetworkAccess: 'Disabled',
              capabilities: [{ name: 'ContentLogging', value: 'false' }],
            },
          },
        },
        [`${openai}/providers/Microsoft.Insights/diagnosticSettings`]: settings(openai, 'Audit'),
        [search]: { status: 200, body: { properties: { disableLocalAuth: false, publicNetworkAccess: 'Enabled' } } },
        [`${search}/providers/Microsoft.Insights/diagnosticSettings`]: settings(search, 'OperationLogs'),
      },
    );
    const environment = await readLiveEnvironment(arm, 'rg');
    expect(arm.gets).toContain(`${openai}?api-version=2026-05-01`);
    expect(arm.gets).toContain(`${search}?api-version=2025-05-01`);
    const report = evaluate(environment, {
      policy: DEFAULT_GATE_POLICY,
      now: new Date(),
      controls: CONTROLS.filter((c) => /^(cognitiveservices|search|openai|ai)\.|^diagnostics\.audit-logs$/.test(c.id)),
    });
    expect(arm.gets).toContain(`${search}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
    expect(report.findings.map((f) => `${f.control} ${f.resource.name}: ${f.status}`).sort()).toEqual([
      'ai.app-identity oai: pass',
      'ai.app-identity srch: fail',
      'cognitiveservices.local-auth-disabled oai: pass',
      'cognitiveservices.public-network oai: pass',
      'diagnostics.audit-logs oai: pass',
      'diagnostics.audit-logs srch: pass',
      'openai.abuse-monitoring oai: pass',
      'search.local-auth-disabled srch: fail',
      'search.public-network srch: fail',
    ]);
    expect(report.findings.find((f) => f.control === 'openai.abuse-monitoring')?.message).toMatch(/ContentLogging=false/);
  });

  it('follows nextLink through every page of role assignments, and leaves out those below the service', async () => {
    const search = `${group}/Microsoft.Search/searchServices/srch`;
    const assignment = (name: string, scope: string) => ({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      name,
      properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/x', principalId: name, scope },
    });
    const nextPage = 'https://management.azure.com/page-2?api-version=2022-04-01&$skiptoken=2';
    const arm = armWith([{ id: search, type: 'Microsoft.Search/searchServices', envelope: {} }], {
      [search]: { status: 200, body: { properties: {} } },
      [`${search}/providers/Microsoft.Insights/diagnosticSettings`]: { status: 200, body: { value: [] } },
      [`${search}/providers/Microsoft.Authorization/roleAssignments`]: {
        status: 200,
        body: { value: [assignment('at-service', search)], nextLink: nextPage },
      },
      [nextPage]: {
        status: 200,
        body: { value: [assignment('at-group', group.replace(/\/providers$/, '')), assignment('below', `${search}/indexes/i`)] },
      },
    });
    const environment = await readLiveEnvironment(arm, 'rg');
    expect(environment.unresolved).toEqual([]);
    const service = environment.resources.find((resource) => resource.type === 'Microsoft.Search/searchServices');
    expect(service?.extensions.map((extension) => extension.name)).toEqual(['at-service', 'at-group']);
  });

  it('never judges the empty properties of a type it does not know: they are unknown', async () => {
    const site = `${group}/Microsoft.Web/sites/app`;
    const arm = armWith([{ id: site, type: 'Microsoft.Web/sites', envelope: { tags: { Compliance: 'HIPAA' } } }], {});
    const environment = await readLiveEnvironment(arm, 'rg');
    // Nothing of the site is read (the subscription's Defender plans and the group's policy assignments are, for every group).
    expect(arm.gets.filter((path) => path.includes('Microsoft.Web'))).toEqual([]);
    const [resource] = environment.resources;
    expect(resource?.body['tags']).toEqual({ Compliance: 'HIPAA' });
    expect(isUnknown(resource?.body['properties'])).toBe(true);
  });

  it('makes a control that would pass on an absent property unknown when the resource cannot be read', async () => {
    const registry = `${group}/Microsoft.ContainerRegistry/registries/acr`;
    const arm = armWith([{ id: registry, type: 'Microsoft.ContainerRegistry/registries', envelope: {} }], {
      [registry]: { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no read' } } },
    });
    const environment = await readLiveEnvironment(arm, 'rg');
    const report = evaluate(environment, {
      policy: DEFAULT_GATE_POLICY,
      now: new Date(),
      controls: CONTROLS.filter((c) => c.id === 'registry.admin-disabled'),
    });
    expect(report.findings.map((f) => f.status)).toEqual(['unknown', 'unknown']);
    expect(report.findings[1]?.message).toContain('AuthorizationFailed');
  });
});

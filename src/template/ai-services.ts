import { roleDefinitionOf } from '../azure/resource-types.js';
import { customSubDomainOf } from '../config/schema.js';
import type { JsonPath } from '../core/json-path.js';
import { literal, reference, resourceId, resourceIdExpression, type TemplateBuilder } from './builder.js';

/**
 * The AI services the voice agent calls: Azure OpenAI with its model deployments, Speech, and AI
 * Search. Each is reached with the app's identity only (key authentication is off), holds the
 * narrowest data role for it, sends its audit logs to the workspace, and, in private mode, sits
 * behind a private endpoint. The app gets their endpoints as environment variables.
 *
 * No Azure SDK for these providers is a dependency, so the bodies are typed here from the
 * 2026-05-01 (Cognitive Services) and 2025-05-01 (Search) schemas in reference/arm-schemas, which
 * the tests validate every rendered body against.
 */

export const COGNITIVE_SERVICES_ACCOUNT = 'Microsoft.CognitiveServices/accounts';
const MODEL_DEPLOYMENT = 'Microsoft.CognitiveServices/accounts/deployments';
export const SEARCH_SERVICE = 'Microsoft.Search/searchServices';

/** The part of the 2026-05-01 AccountProperties the renderer sets. */
interface AccountProperties {
  customSubDomainName: string;
  disableLocalAuth: boolean;
  publicNetworkAccess: 'Enabled' | 'Disabled';
  networkAcls: { defaultAction: 'Allow' | 'Deny' };
}

/** The part of the 2026-05-01 DeploymentProperties the renderer sets. */
interface DeploymentProperties {
  model: { format: 'OpenAI'; name: string; version: string };
}

/** The part of the 2025-05-01 SearchServiceProperties the renderer sets; `disableLocalAuth: true` forbids `authOptions`. */
interface SearchServiceProperties {
  replicaCount: number;
  partitionCount: number;
  disableLocalAuth: boolean;
  publicNetworkAccess: 'Enabled' | 'Disabled';
}

/** An AI service the renderer deploys: where it comes from in the config, and what the rest of the template needs of it. */
export interface AiService {
  origin: JsonPath;
  type: string;
  name: string;
  /** The account's kind (Cognitive Services), which decides its private DNS zone. */
  kind?: string;
  id: string;
  /** Changes to the resource that must finish before another starts (an account takes one at a time): its private endpoint waits for them. */
  busyWith: string[];
}

/** The AI services the config turns on, in the order they are rendered. */
export function aiServices(b: TemplateBuilder): AiService[] {
  const { openai, speech, search } = b.config.ai;
  const services: AiService[] = [];
  if (openai.enabled) {
    const last = openai.deployments.at(-1);
    services.push({
      origin: ['ai', 'openai'],
      type: COGNITIVE_SERVICES_ACCOUNT,
      name: openai.name,
      kind: 'OpenAI',
      id: resourceId(COGNITIVE_SERVICES_ACCOUNT, openai.name),
      // The deployments run one after another, so the last one finishing means all have.
      busyWith: last ? [resourceId(MODEL_DEPLOYMENT, openai.name, last.name)] : [],
    });
  }
  if (speech.enabled)
    services.push({
      origin: ['ai', 'speech'],
      type: COGNITIVE_SERVICES_ACCOUNT,
      name: speech.name,
      kind: 'SpeechServices',
      id: resourceId(COGNITIVE_SERVICES_ACCOUNT, speech.name),
      busyWith: [],
    });
  if (search.enabled)
    services.push({
      origin: ['ai', 'search'],
      type: SEARCH_SERVICE,
      name: search.name,
      id: resourceId(SEARCH_SERVICE, search.name),
      busyWith: [],
    });
  return services;
}

export function renderAiServices(b: TemplateBuilder): void {
  const { openai, speech } = b.config.ai;
  for (const service of aiServices(b)) {
    if (service.kind === 'OpenAI') renderAccount(b, service, customSubDomainOf(openai), 'Cognitive Services OpenAI User');
    else if (service.kind === 'SpeechServices') renderAccount(b, service, customSubDomainOf(speech), 'Cognitive Services Speech User');
    else renderSearch(b, service);
  }
}

/** A Cognitive Services account (Azure OpenAI or Speech): Entra sign-in only, which needs the custom subdomain. */
function renderAccount(b: TemplateBuilder, service: AiService, subdomain: string, role: string): void {
  b.add<AccountProperties>(service.origin, {
    type: COGNITIVE_SERVICES_ACCOUNT,
    name: service.name,
    location: b.location,
    kind: service.kind as string,
    tags: b.tags(),
    sku: { name: 'S0' },
    properties: {
      customSubDomainName: subdomain,
      disableLocalAuth: true,
      publicNetworkAccess: b.publicNetworkAccess,
      networkAcls: { defaultAction: b.privateNetwork ? 'Deny' : 'Allow' },
    },
  });
  if (service.kind === 'OpenAI') renderModelDeployments(b, service);
  b.diagnosticSetting(service.origin, service.id, [service.id]);
  b.roleAssignment(service.origin, service.id, roleDefinitionOf(COGNITIVE_SERVICES_ACCOUNT, role));
  const output = service.kind === 'OpenAI' ? 'openaiEndpoint' : 'speechEndpoint';
  b.outputs[output] = { type: 'string', value: reference(service.id, COGNITIVE_SERVICES_ACCOUNT, 'endpoint') };
}

/** The account's model deployments, one after another: ARM refuses a change to an account while another is running on it. */
function renderModelDeployments(b: TemplateBuilder, account: AiService): void {
  let previous: string | undefined;
  for (const [index, deployment] of b.config.ai.openai.deployments.entries()) {
    const added = b.add<DeploymentProperties>([...account.origin, 'deployments', index], {
      type: MODEL_DEPLOYMENT,
      name: `${account.name}/${deployment.name}`,
      sku: { name: deployment.sku, capacity: deployment.capacity },
      properties: { model: { format: 'OpenAI', name: literal(deployment.model), version: literal(deployment.version) } },
      dependsOn: [account.id, ...(previous ? [previous] : [])],
    });
    previous = resourceIdExpression(added);
  }
}

/** Azure AI Search with API keys disabled: Microsoft Entra ID is the only way in. */
function renderSearch(b: TemplateBuilder, service: AiService): void {
  const { search } = b.config.ai;
  b.add<SearchServiceProperties>(service.origin, {
    type: SEARCH_SERVICE,
    name: service.name,
    location: b.location,
    tags: b.tags(),
    sku: { name: search.sku },
    properties: {
      replicaCount: search.replicaCount,
      partitionCount: search.partitionCount,
      disableLocalAuth: true,
      publicNetworkAccess: b.publicNetworkAccess,
    },
  });
  b.diagnosticSetting(service.origin, service.id, [service.id]);
  b.roleAssignment(service.origin, service.id, roleDefinitionOf(SEARCH_SERVICE, 'Search Index Data Reader'));
  b.outputs.searchEndpoint = { type: 'string', value: reference(service.id, SEARCH_SERVICE, 'endpoint') };
}

/**
 * What the app is told about each AI service: its endpoint, read from the deployed resource as
 * AZURE_COSMOS_ENDPOINT is. The Speech SDK signs in with Entra through the custom-domain endpoint
 * and the account's resource id, and takes the region too.
 */
export function aiServiceEnvironment(b: TemplateBuilder): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const service of aiServices(b)) {
    const endpoint = reference(service.id, service.type, 'endpoint');
    if (service.kind === 'OpenAI') environment['AZURE_OPENAI_ENDPOINT'] = endpoint;
    else if (service.kind === 'SpeechServices') {
      environment['AZURE_SPEECH_ENDPOINT'] = endpoint;
      environment['AZURE_SPEECH_REGION'] = b.location;
      environment['AZURE_SPEECH_RESOURCE_ID'] = service.id;
    } else environment['AZURE_SEARCH_ENDPOINT'] = endpoint;
  }
  return environment;
}

/**
 * ACR's `importImage` (Registries_ImportImage, 2025-04-01): Resource Manager copies an image from a
 * source registry given by resource id into the target registry, by tag or by digest, without the
 * caller touching either registry's data plane. As Microsoft's "Import container images" page says
 * for a source in the same tenant: the caller needs "Container Registry Data Importer and Data
 * Reader" on the source and on the target (Contributor and Owner include what it grants), and a
 * registry whose network is restricted must allow trusted services (`networkRuleBypassOptions:
 * AzureServices`), since the copy is made by ACR itself, not from the caller's network.
 */
import { ArmError, isObject, type Json } from '../arm/resources.js';
import { DIGEST, REPOSITORY_NAME, TAG, type RegistryContent } from './registry.js';

/** The built-in role Microsoft names for import (GUID 577a9874-89fd-4f24-9dbd-b5034d0ad23a). */
export const IMPORTER_ROLE = 'Container Registry Data Importer and Data Reader';
const IMPORTERS = ['Owner', 'Contributor', IMPORTER_ROLE];

export interface ImportParties {
  /** The stored registry resources (target from the URL, source from `source.resourceId`), or undefined when absent. */
  registry(id: string): { id: string; name: string; properties: Json } | undefined;
  /** The roles the caller holds on a scope. */
  rolesOn(scopeId: string): string[];
  content(name: string): RegistryContent;
  caller: string;
}

/** Copies the image and answers nothing (the operation's result is empty); throws ARM's error. */
export function importImage(targetId: string, body: Json, parties: ImportParties): void {
  const target = parties.registry(targetId);
  if (!target) throw notFound(targetId);
  const source = isObject(body['source']) ? body['source'] : undefined;
  const sourceImage = typeof source?.['sourceImage'] === 'string' ? source['sourceImage'] : '';
  const sourceId = typeof source?.['resourceId'] === 'string' ? source['resourceId'] : undefined;
  if (!source || !sourceImage)
    throw new ArmError(400, 'InvalidParameters', "The 'source.sourceImage' parameter is required to import an image.");
  if (!sourceId)
    throw new ArmError(
      400,
      'InvalidParameters',
      'The sandbox imports only from an Azure container registry given by resource id (source.resourceId).',
    );
  if (!parties.rolesOn(target.id).some((role) => IMPORTERS.includes(role))) throw forbidden(parties.caller, target.id);
  const from = parties.registry(sourceId);
  if (!from) throw notFound(sourceId);
  if (!parties.rolesOn(from.id).some((role) => IMPORTERS.includes(role))) throw forbidden(parties.caller, from.id);
  for (const registry of [from, target]) {
    const restricted = registry.properties['publicNetworkAccess'] === 'Disabled';
    if (restricted && registry.properties['networkRuleBypassOptions'] === 'None')
      throw new ArmError(
        400,
        'ImportImageFailed',
        `The registry '${registry.name}' denies access from trusted Azure services (networkRuleBypassOptions: None) and its public network access is disabled, so import cannot reach it. Allow trusted services: https://aka.ms/acr/trustedservices.`,
      );
  }

  const [repository = '', reference = ''] = sourceImage.includes('@') ? sourceImage.split('@') : splitTag(sourceImage);
  if (!REPOSITORY_NAME.test(repository) || !(DIGEST.test(reference) || TAG.test(reference)))
    throw new ArmError(400, 'InvalidParameters', `'${sourceImage}' is not a repository with a tag or digest.`);
  const sourceContent = parties.content(from.name);
  const digest = sourceContent.manifestDigest(repository, reference);
  if (!digest) throw new ArmError(404, 'ImportSourceNotFound', `The source image '${from.name}/${sourceImage}' was not found.`);

  const targetTags = Array.isArray(body['targetTags']) ? body['targetTags'].map(String) : [];
  const untagged = Array.isArray(body['untaggedTargetRepositories']) ? body['untaggedTargetRepositories'].map(String) : [];
  const destinations = [...targetTags.map(splitTag), ...untagged.map((name) => [name, ''] as [string, string])];
  if (destinations.length === 0) destinations.push([repository, DIGEST.test(reference) ? '' : reference]);
  const targetContent = parties.content(target.name);
  const force = body['mode'] === 'Force';
  for (const [name, tag] of destinations) {
    if (!REPOSITORY_NAME.test(name) || (tag && !TAG.test(tag)))
      throw new ArmError(400, 'InvalidParameters', `'${name}${tag ? `:${tag}` : ''}' is not a valid target repository and tag.`);
    const existing = tag ? targetContent.manifestDigest(name, tag) : undefined;
    if (existing && existing !== digest && !force)
      throw new ArmError(
        409,
        'TagAlreadyExists',
        `The tag '${name}:${tag}' already exists in '${target.name}'; use mode Force to overwrite it.`,
      );
    copyManifest(sourceContent, repository, digest, targetContent, name);
    if (tag) targetContent.repository(name).tags.set(tag, digest);
  }
}

function splitTag(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
}

/** Copies a manifest (an index with the manifests it lists) and every blob it references. */
function copyManifest(from: RegistryContent, repository: string, digest: string, to: RegistryContent, targetRepository: string): void {
  const stored = from.repository(repository).manifests.get(digest);
  if (!stored) throw new ArmError(404, 'ImportSourceNotFound', `The manifest ${digest} was not found in '${from.name}/${repository}'.`);
  const manifest = JSON.parse(stored.bytes.toString('utf8')) as {
    config?: { digest?: string };
    layers?: { digest?: string }[];
    manifests?: { digest?: string }[];
  };
  for (const child of manifest.manifests ?? []) if (child.digest) copyManifest(from, repository, child.digest, to, targetRepository);
  for (const blob of [manifest.config?.digest, ...(manifest.layers ?? []).map((layer) => layer.digest)]) {
    if (!blob) continue;
    const bytes = from.blob(repository, blob);
    if (!bytes) throw new ArmError(404, 'ImportSourceNotFound', `The blob ${blob} was not found in '${from.name}/${repository}'.`);
    to.link(targetRepository, blob, bytes);
  }
  to.repository(targetRepository).manifests.set(digest, { mediaType: stored.mediaType, bytes: stored.bytes });
}

function notFound(id: string): ArmError {
  const name = id.split('/').at(-1) ?? id;
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource 'Microsoft.ContainerRegistry/registries/${name}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function forbidden(caller: string, scope: string): ArmError {
  return new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${caller}' with object id '${caller}' does not have authorization to perform action 'Microsoft.ContainerRegistry/registries/importImage/action' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

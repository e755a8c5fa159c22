import type { SecretMetadata } from '../azure/keyvault.js';

export type MetadataField = keyof SecretMetadata;

function sameDate(a: Date | undefined, b: Date | undefined): boolean {
  return a?.getTime() === b?.getTime();
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/** The metadata fields in which `target` differs from `source`; empty when they agree. */
export function differingMetadata(source: SecretMetadata, target: SecretMetadata): MetadataField[] {
  const fields: MetadataField[] = [];
  if ((source.contentType ?? '') !== (target.contentType ?? '')) fields.push('contentType');
  if (!sameTags(source.tags, target.tags)) fields.push('tags');
  if (source.enabled !== target.enabled) fields.push('enabled');
  if (!sameDate(source.notBefore, target.notBefore)) fields.push('notBefore');
  if (!sameDate(source.expiresOn, target.expiresOn)) fields.push('expiresOn');
  return fields;
}

/**
 * Whether a properties update (PATCH) can make `target` match `source`. A PATCH sets fields but
 * cannot clear a content type or a date the source does not have; that takes a new version.
 */
export function canUpdateInPlace(source: SecretMetadata, target: SecretMetadata): boolean {
  return (
    (target.contentType === undefined || source.contentType !== undefined) &&
    (target.notBefore === undefined || source.notBefore !== undefined) &&
    (target.expiresOn === undefined || source.expiresOn !== undefined)
  );
}

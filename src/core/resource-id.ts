import { createHash } from 'node:crypto';

/** `/providers/<namespace>/<type>/<name>[/<child type>/<child name>...]`, the tail of a resource id. */
export function providerPath(type: string, names: string[]): string {
  const [namespace, ...types] = type.split('/');
  const segments = names.flatMap((name) => name.split('/'));
  return `/providers/${namespace}${types.map((t, i) => `/${t}/${segments[i] ?? ''}`).join('')}`;
}

/** Type and full name from a resource id (`Microsoft.Sql/servers/databases`, `server/db`); an extension resource gives its own. */
export function typeAndNameOf(resourceId: string): { type: string; name: string } {
  const tail = resourceId.split(/\/providers\//i).at(-1) ?? '';
  const [namespace, ...pairs] = tail.split('/');
  return { type: [namespace, ...pairs.filter((_, i) => i % 2 === 0)].join('/'), name: pairs.filter((_, i) => i % 2 === 1).join('/') };
}

/** A name-based GUID (SHA-256 of the parts, RFC 4122 version 5 layout): the same parts always give the same GUID. */
export function stableGuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

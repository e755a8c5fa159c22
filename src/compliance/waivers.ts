import { ConfigurationError } from '../core/errors.js';
import type { LocatedDocument } from '../core/located-document.js';
import { controlById } from './catalog.js';
import type { Waiver } from './model.js';
import type { SourceLocation } from '../core/json-path.js';

/** A waiver that cannot be honoured; the evaluator turns each into a failing `waiver.valid` finding. */
export interface WaiverProblem {
  message: string;
  location?: SourceLocation;
  control?: string;
  resource?: string;
}

const FIELDS = ['control', 'resource', 'reason', 'approvedBy', 'expires'] as const;

/**
 * The waivers of a waivers file: a YAML or JSON list (or `{ waivers: [...] }`) of
 * `{control, resource, reason, approvedBy, expires}`. Malformed entries are not dropped: each
 * becomes a problem with its line. Expiry is judged by the evaluator, against its `now`.
 */
export function parseWaivers(document: LocatedDocument): { waivers: Waiver[]; problems: WaiverProblem[] } {
  const displayPath = document.file;
  const root = document.value;
  const listPath = Array.isArray(root) ? [] : ['waivers'];
  const list = Array.isArray(root) ? root : root && typeof root === 'object' ? (root as { waivers?: unknown }).waivers : undefined;
  if (root === null || root === undefined) return { waivers: [], problems: [] };
  if (!Array.isArray(list)) {
    throw new ConfigurationError(`Waivers file ${displayPath} must be a list of {control, resource, reason, approvedBy, expires}.`);
  }
  const waivers: Waiver[] = [];
  const problems: WaiverProblem[] = [];
  list.forEach((entry: unknown, index) => {
    const location = document.locate([...listPath, index]);
    const fields = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const text = (name: string) => {
      const value = fields[name];
      return value instanceof Date
        ? value.toISOString().slice(0, 10)
        : typeof value === 'string'
          ? value.trim()
          : value === undefined
            ? ''
            : String(value);
    };
    const missing = FIELDS.filter((field) => text(field) === '');
    const control = text('control');
    const resource = text('resource');
    const report = (message: string) =>
      problems.push({
        message: `waiver ${index + 1} (${displayPath}:${location.line}): ${message}`,
        location,
        ...(control ? { control } : {}),
        ...(resource ? { resource } : {}),
      });
    if (missing.length > 0) return void report(`missing ${missing.join(', ')}`);
    if (!controlById(control)) return void report(`"${control}" is not a control id; see controls.md for the ids`);
    if (control === 'baa.evidence')
      return void report(
        'baa.evidence cannot be waived: record the BAA evidence in the config instead (baa.signedDate, reviewedDate, file, sha256)',
      );
    const expires = text('expires');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`)))
      return void report(`expires "${expires}" is not a date (YYYY-MM-DD)`);
    waivers.push({ control, resource, reason: text('reason'), approvedBy: text('approvedBy'), expires, location });
  });
  return { waivers, problems };
}

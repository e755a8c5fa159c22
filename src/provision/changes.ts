import type { WhatIfChange } from '@azure/arm-resources';
import { typeAndNameOf } from '../core/resource-id.js';

export type ChangeType = 'Create' | 'Modify' | 'NoChange' | 'Ignore' | 'Delete' | 'Deploy' | 'Unsupported';

export interface PropertyChange {
  /** Dotted path into the resource, e.g. `properties.enableNonSslPort`. */
  path: string;
  kind: 'Create' | 'Delete' | 'Modify' | 'Array' | 'NoEffect';
  before?: unknown;
  after?: unknown;
}

/** One resource in the what-if result, in the shape the summary and the JSON file use. */
export interface ResourceChange {
  resourceId: string;
  type: string;
  name: string;
  changeType: ChangeType;
  delta: PropertyChange[];
}

/** What-if in our words: every resource with its change, and the count the `changes` output reports. */
export interface ChangeSet {
  resourceGroup: string;
  /** The resource group does not exist yet: everything would be created. */
  resourceGroupCreated: boolean;
  resources: ResourceChange[];
}

/** Resources what-if would create or modify (`Deploy`: ARM cannot tell, so it counts too). */
export function changeCount(changes: ChangeSet): number {
  return changes.resources.filter(
    (change) => change.changeType === 'Create' || change.changeType === 'Modify' || change.changeType === 'Deploy',
  ).length;
}

interface RawPropertyChange {
  path: string;
  propertyChangeType: PropertyChange['kind'];
  before?: unknown;
  after?: unknown;
  children?: RawPropertyChange[];
}

/**
 * What-if's changes from the raw response body. The SDK's model types a property change's
 * before/after as dictionaries, which turns scalar values (`true`, `"Disabled"`) into `{}`; the
 * raw JSON keeps them. Nested changes are flattened to full paths.
 */
export function changesFromWhatIf(rawBody: string, resourceGroup: string): ChangeSet {
  type RawChange = Omit<WhatIfChange, 'delta'> & { resourceId: string; delta?: RawPropertyChange[] };
  const parsed = JSON.parse(rawBody) as { properties?: { changes?: RawChange[] }; changes?: RawChange[] };
  const changes = parsed.properties?.changes ?? parsed.changes ?? [];
  return {
    resourceGroup,
    resourceGroupCreated: false,
    resources: changes.map((change) => ({
      ...typeAndNameOf(change.resourceId),
      resourceId: change.resourceId,
      changeType: change.changeType as ChangeType,
      delta: flatten(change.delta ?? [], ''),
    })),
  };
}

function flatten(changes: RawPropertyChange[], prefix: string): PropertyChange[] {
  return changes.flatMap((change) => {
    const path = !prefix ? change.path : /^\d+$/.test(change.path) ? `${prefix}[${change.path}]` : `${prefix}.${change.path}`;
    if (change.children?.length) return flatten(change.children, path);
    return [
      {
        path,
        kind: change.propertyChangeType,
        ...('before' in change ? { before: change.before } : {}),
        ...('after' in change ? { after: change.after } : {}),
      },
    ];
  });
}

const SYMBOL: Record<ChangeType, string> = {
  Create: '+ create',
  Modify: '~ modify',
  NoChange: '= no change',
  Ignore: '* ignore',
  Delete: '- delete',
  Deploy: '! deploy',
  Unsupported: '? unsupported',
};

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? '(none)' : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One line per property change: `properties.x: "a" => "b"`. */
export function propertyChangeLines(change: ResourceChange): string[] {
  return change.delta.map((delta) => {
    if (delta.kind === 'Create') return `${delta.path}: (none) => ${shown(delta.after)}`;
    if (delta.kind === 'Delete') return `${delta.path}: ${shown(delta.before)} => (removed)`;
    return `${delta.path}: ${shown(delta.before)} => ${shown(delta.after)}`;
  });
}

/** The change list for the log. */
export function changesAsText(changes: ChangeSet): string {
  const lines = [`What-if for resource group ${changes.resourceGroup}: ${countsText(changes)}`];
  if (changes.resourceGroupCreated) lines.push(`  + create  Microsoft.Resources/resourceGroups ${changes.resourceGroup}`);
  for (const change of changes.resources) {
    lines.push(`  ${SYMBOL[change.changeType] ?? change.changeType}  ${change.type} ${change.name}`);
    for (const line of propertyChangeLines(change)) lines.push(`      ${line}`);
  }
  return lines.join('\n');
}

function countsText(changes: ChangeSet): string {
  const count = (type: ChangeType) => changes.resources.filter((c) => c.changeType === type).length;
  const parts = [`${count('Create')} to create`, `${count('Modify')} to modify`, `${count('NoChange')} unchanged`];
  if (count('Ignore') > 0) parts.push(`${count('Ignore')} ignored (in the group but not in the config; incremental mode never deletes)`);
  if (count('Deploy') > 0) parts.push(`${count('Deploy')} ARM cannot predict`);
  return parts.join(', ');
}

const ICON: Record<ChangeType, string> = {
  Create: '🟢 Create',
  Modify: '🟡 Modify',
  NoChange: '⚪ No change',
  Ignore: '⚫ Ignore',
  Delete: '🔴 Delete',
  Deploy: '🟣 Deploy',
  Unsupported: '⚪ Unsupported',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The change list for the job summary: what changes in a table, property diffs beneath, the unchanged rest folded. */
export function changesAsMarkdown(changes: ChangeSet): string {
  const changed = changes.resources.filter((c) => c.changeType !== 'NoChange' && c.changeType !== 'Ignore');
  const rest = changes.resources.filter((c) => c.changeType === 'NoChange' || c.changeType === 'Ignore');
  const lines = [
    `### What-if: \`${changes.resourceGroup}\``,
    '',
    `**${changeCount(changes)} resource(s) would be created or modified.** ${countsText(changes)}.`,
    '',
  ];
  if (changes.resourceGroupCreated)
    lines.push(`The resource group \`${changes.resourceGroup}\` does not exist yet: it and every resource below would be created.`, '');
  if (changed.length > 0) {
    lines.push('| Change | Resource | Type | Property changes |', '|---|---|---|---|');
    for (const change of changed) {
      const properties = propertyChangeLines(change)
        .map((line) => `\`${cell(line)}\``)
        .join('<br>');
      lines.push(`| ${ICON[change.changeType]} | \`${cell(change.name)}\` | ${change.type} | ${properties} |`);
    }
    lines.push('');
  }
  if (rest.length > 0) {
    lines.push(
      `<details><summary>${rest.length} resource(s) unchanged or ignored</summary>`,
      '',
      '| Change | Resource | Type |',
      '|---|---|---|',
    );
    for (const change of rest) lines.push(`| ${ICON[change.changeType]} | \`${cell(change.name)}\` | ${change.type} |`);
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}

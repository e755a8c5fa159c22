import { renderChart, renderChecks } from './canary.js';
import type { PushedImage } from './image.js';
import type { RolloutResult } from './rollout.js';

/**
 * The job summary of a deploy: a timeline from push to the last traffic step, and on failure why (once)
 * and what serves now, the gate's verdict in one line, and the command that shows the revision's logs.
 */
export function deploySummary(pushed: PushedImage | undefined, result: RolloutResult, failure?: string): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  // The failure is said once, at the top: the timeline's own "Failed: ..." entry points there.
  const event = (text: string) =>
    failure && text.startsWith('Failed: ') && failure.includes(text.slice('Failed: '.length)) ? 'Failed (why: above)' : text;
  const logs = result.revision
    ? [
        `Logs of \`${result.revision}\`: \`az containerapp logs show --name ${result.app} --resource-group ${result.resourceGroup} --revision ${result.revision} --type console --tail 200\``,
        '',
      ]
    : [];
  return [
    `## Deploy: ${failure ? (result.rolledBack ? 'failed, rolled back' : 'failed') : result.unchanged ? 'nothing to change' : `\`${result.revision}\` serves`}`,
    '',
    ...(failure ? [`> [!CAUTION]\n> ${escape(failure)}`, ''] : []),
    ...(pushed
      ? [
          pushed.promotedFrom
            ? `Image: \`${pushed.image}\`, promoted by digest from \`${pushed.promotedFrom.image}\` (${pushed.promotedFrom.imported ? 'imported through Resource Manager' : 'already in the registry: the app runs it'})`
            : `Image: \`${pushed.image}\``,
          '',
        ]
      : []),
    '| At | Event |',
    '|---:|---|',
    // A non-breaking space keeps "12.5 s" on one line in a narrow column.
    ...result.timeline.map((entry) => `| ${entry.at.toFixed(1)}&nbsp;s | ${escape(event(entry.event))} |`),
    '',
    `Traffic: ${result.traffic.map((entry) => `\`${entry.revisionName ?? 'latest'}\` ${entry.weight}%${entry.label ? ` (${entry.label})` : ''}`).join(', ')}`,
    '',
    ...(result.gateReport ? [result.gateReport, ''] : []),
    ...(result.analysis ? ['### Canary analysis', '', renderChecks(result.analysis), '', renderChart(result.analysis), ''] : []),
    ...logs,
  ].join('\n');
}

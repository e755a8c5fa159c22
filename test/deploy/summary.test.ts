/** The deploy's job summary after a failed deploy, rendered as GitHub renders it. */
import type { Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { deploySummary } from '../../src/deploy/summary.js';
import type { RolloutResult } from '../../src/deploy/rollout.js';
import { seen, tableText, visible } from '../helpers/markdown.js';

const why = 'Revision voice-agent--c1111111-1-1 failed: ContainerCrashing: the container exited with code 1.';
const failed: RolloutResult = {
  revision: 'voice-agent--c1111111-1-1',
  previousRevision: 'voice-agent--c0000000-1-1',
  fqdn: 'voice-agent.example.eastus2.azurecontainerapps.io',
  appHostName: 'voice-agent.example.eastus2.azurecontainerapps.io',
  revisionFqdn: 'voice-agent--c1111111-1-1.example.eastus2.azurecontainerapps.io',
  rolledBack: true,
  traffic: [{ revisionName: 'voice-agent--c0000000-1-1', weight: 100, label: 'previous' }],
  unchanged: false,
  resourceGroup: 'seniorly-prod-rg',
  app: 'voice-agent',
  timeline: [
    {
      at: 0.4,
      event: 'Creating revision voice-agent--c1111111-1-1 with r.azurecr.io/voice-agent@sha256:ab at 0% traffic, label candidate.',
    },
    { at: 12.5, event: 'Revision voice-agent--c1111111-1-1: Provisioned, Failed.' },
    { at: 12.6, event: `Failed: ${why}` },
    { at: 133.9, event: 'Rolled back: traffic is voice-agent--c0000000-1-1 100% again, and voice-agent--c1111111-1-1 is deactivated.' },
  ],
};
const failure = `Deploy of r.azurecr.io/voice-agent@sha256:ab failed: ${why} Serving now: voice-agent--c0000000-1-1 100%.`;

describe('the deploy’s job summary', () => {
  it('says why it failed once, at the top, as an alert', () => {
    const markdown = deploySummary(undefined, failed, failure);
    const shown = visible(markdown);
    expect(seen((shown[0] as Tokens.Heading).text)).toBe('Deploy: failed, rolled back');
    expect(shown[1]?.type).toBe('blockquote');
    expect(shown[1]?.raw).toMatch(/^> \[!CAUTION\]\n/);
    expect(seen(markdown).split('ContainerCrashing').length - 1).toBe(1);
  });

  it('keeps each time on one line', () => {
    const rows = tableText(visible(deploySummary(undefined, failed, failure)).find((token) => token.type === 'table') as Tokens.Table);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['0.4\u00a0s', '12.5\u00a0s', '12.6\u00a0s', '133.9\u00a0s']);
  });

  it('gives the command that shows the revision’s logs', () => {
    expect(seen(deploySummary(undefined, failed, failure))).toContain(
      'az containerapp logs show --name voice-agent --resource-group seniorly-prod-rg --revision voice-agent--c1111111-1-1 --type console',
    );
  });

  it('shows per step each revision’s requests, 5xx share and p95 of the canary analysis, as a table', () => {
    const analysed: RolloutResult = {
      ...failed,
      analysis: [
        {
          step: 10,
          window: { from: 0, to: 60_000 },
          revisions: [
            { revision: 'voice-agent--c1111111-1-1', requests: 120, errors: 24, p95Ms: 8 },
            { revision: 'voice-agent--c0000000-1-1', requests: 1080, errors: 0, p95Ms: 6 },
          ],
          verdict: 'fail',
          reason: 'too many 5xx',
        },
      ],
    };
    const tables = visible(deploySummary(undefined, analysed, failure)).filter((token) => token.type === 'table') as Tokens.Table[];
    expect(tables).toHaveLength(2);
    expect(tableText(tables[1] as Tokens.Table)).toEqual([
      ['Step', 'Window', 'Revision', 'Requests', '5xx', 'p95', 'Check'],
      ['10%', '60 s', 'voice-agent--c1111111-1-1', '120', '20%', '8 ms', 'fail'],
      ['', '', 'voice-agent--c0000000-1-1', '1080', '0%', '6 ms', ''],
    ]);
    expect(tables).toHaveLength(visible(deploySummary(undefined, failed, failure)).filter((token) => token.type === 'table').length + 1);
    // And as a chart: the new revision's 5xx share in bars, the previous one's as a line.
    const charts = visible(deploySummary(undefined, analysed, failure)).filter(
      (token) => token.type === 'code' && (token as Tokens.Code).lang === 'mermaid',
    ) as Tokens.Code[];
    expect(charts.map((chart) => chart.text)).toEqual([
      [
        'xychart-beta',
        '  title "5xx share per check, %: new revision (bars), previous (line)"',
        '  x-axis ["10% (1)"]',
        '  y-axis "5xx %" 0 --> 20',
        '  bar [20]',
        '  line [0]',
      ].join('\n'),
    ]);
    expect(visible(deploySummary(undefined, failed, failure)).some((token) => token.type === 'code')).toBe(false);
  });
});

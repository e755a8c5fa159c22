/** deploy-container's job summary after a failed deploy, rendered as GitHub renders it. */
import type { Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { summary } from '../../actions/deploy-container/src/run.js';
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

describe('deploy-container’s summary', () => {
  it('says why it failed once, at the top, as an alert', () => {
    const markdown = summary(undefined, failed, failure);
    const shown = visible(markdown);
    expect(seen((shown[0] as Tokens.Heading).text)).toBe('Deploy: failed, rolled back');
    expect(shown[1]?.type).toBe('blockquote');
    expect(shown[1]?.raw).toMatch(/^> \[!CAUTION\]\n/);
    expect(seen(markdown).split('ContainerCrashing').length - 1).toBe(1);
  });

  it('keeps each time on one line', () => {
    const rows = tableText(visible(summary(undefined, failed, failure)).find((token) => token.type === 'table') as Tokens.Table);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['0.4\u00a0s', '12.5\u00a0s', '12.6\u00a0s', '133.9\u00a0s']);
  });

  it('gives the command that shows the revision’s logs', () => {
    expect(seen(summary(undefined, failed, failure))).toContain(
      'az containerapp logs show --name voice-agent --resource-group seniorly-prod-rg --revision voice-agent--c1111111-1-1 --type console',
    );
  });
});

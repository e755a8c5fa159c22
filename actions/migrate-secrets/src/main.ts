import * as core from '@actions/core';
import { migrateSecrets } from '../../../src/secrets/migrate.js';
import { formatReportMarkdown, formatReportText } from '../../../src/secrets/report.js';
import { actionLogger } from '../../shared/logger.js';
import { runAction } from '../../shared/run.js';
import { writeSummary } from '../../shared/summary.js';
import { readInputs } from './inputs.js';

await runAction(async () => {
  const options = readInputs();
  const logger = actionLogger();
  const report = await migrateSecrets(options, { logger, env: process.env });

  for (const [name, count] of Object.entries(report.counts)) core.setOutput(name, count);
  for (const result of report.results.filter((row) => row.outcome === 'failed'))
    logger.error(`Secret '${result.name}': ${result.reason}`, { title: 'Secret not copied' });
  await logger.group('Summary', async () => logger.info(formatReportText(report)));
  await writeSummary(formatReportMarkdown(report));
  if (report.counts.failed > 0) throw new Error(`${report.counts.failed} of ${report.results.length} secrets failed; see the summary.`);
});

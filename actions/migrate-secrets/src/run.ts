import { migrateSecrets, type MigrationDependencies } from '../../../src/secrets/migrate.js';
import { formatReportMarkdown, formatReportText } from '../../../src/secrets/report.js';
import { runAction } from '../../shared/run.js';
import type { ActionIO } from '../../shared/runtime.js';
import { readInputs } from './inputs.js';

/** The migrate-secrets action. `ports.openVault` replaces the Key Vault SDK (tests reach failure branches with it). */
export async function run(io: ActionIO, ports: Pick<MigrationDependencies, 'openVault'> = {}): Promise<void> {
  await runAction(io, async () => {
    const options = readInputs(io);
    const { logger } = io;
    const report = await migrateSecrets(options, { logger, env: io.env, ...ports });

    for (const [name, count] of Object.entries(report.counts)) io.setOutput(name, String(count));
    for (const result of report.results.filter((row) => row.outcome === 'failed'))
      logger.error(`Secret '${result.name}': ${result.reason}`, { title: 'Secret not copied' });
    await logger.group('Summary', async () => logger.info(formatReportText(report)));
    await io.summary(formatReportMarkdown(report));
    if (report.counts.failed > 0) throw new Error(`${report.counts.failed} of ${report.results.length} secrets failed; see the summary.`);
  });
}

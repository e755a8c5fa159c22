import { migrateSecrets, type MigrationDependencies } from '../../../src/secrets/migrate.js';
import { formatReportMarkdown, formatReportText } from '../../../src/secrets/report.js';
import { runAction, untilCancelled } from '../../shared/run.js';
import type { ActionIO, ActionPorts } from '../../shared/runtime.js';
import { readInputs } from './inputs.js';

export interface Ports extends ActionPorts, Pick<MigrationDependencies, 'openVault'> {}

/** The migrate-secrets action. `ports.openVault` replaces the Key Vault SDK (tests reach failure branches with it). */
export async function run(io: ActionIO, ports: Ports = {}): Promise<void> {
  await runAction(io, async () => {
    const options = readInputs(io);
    const { logger } = io;
    const { cancellation, ...dependencies } = ports;
    // A secret being written when the job is cancelled is written whole or not at all: Key Vault sets are atomic.
    const report = await untilCancelled(migrateSecrets(options, { logger, env: io.env, ...dependencies }), cancellation);

    for (const [name, count] of Object.entries(report.counts)) io.setOutput(name, String(count));
    for (const result of report.results.filter((row) => row.outcome === 'failed'))
      logger.error(`Secret '${result.name}': ${result.reason}`, { title: 'Secret not copied' });
    await logger.group('Summary', async () => logger.info(formatReportText(report)));
    await io.summary(formatReportMarkdown(report));
    if (report.counts.failed > 0) throw new Error(`${report.counts.failed} of ${report.results.length} secrets failed; see the summary.`);
  });
}

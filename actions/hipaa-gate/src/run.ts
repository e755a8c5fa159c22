import { isBlocking } from '../../../src/compliance/evaluate.js';
import { gateAnnotations } from '../../../src/compliance/report/annotations.js';
import { renderReport } from '../../../src/compliance/report/index.js';
import { renderText } from '../../../src/compliance/report/text.js';
import { runGate } from '../../../src/gate/gate.js';
import { runnerContext } from '../../shared/context.js';
import { outputFile } from '../../shared/output-file.js';
import { runAction, untilCancelled } from '../../shared/run.js';
import { armFor, type ActionIO, type ActionPorts, type ArmFactory } from '../../shared/runtime.js';
import { readGateInputs, type GATE_INPUTS } from './inputs.js';
import { issueBody, trackIssue } from './issue.js';

export interface Ports extends ActionPorts {
  /** Azure Resource Manager for live mode; by default the SDK with DefaultAzureCredential. */
  arm?: ArmFactory;
}

type GateInput = keyof typeof GATE_INPUTS;

/** Where a reader finds what the summary leaves out: the hipaa-check workflow uploads the report-path file. */
const REPORT_POINTER = "the step's report-path output; the hipaa-check workflow uploads it as the artifact hipaa-gate-report";

/** The hipaa-gate action: judge the environment, report it everywhere the runner shows things, fail the step when it blocks. */
export async function run(io: ActionIO, ports: Ports = {}): Promise<void> {
  await runAction(io, async () => {
    const context = runnerContext(io.env);
    const workspace = context.workspace;
    const inputs = readGateInputs(io, context.runnerTemp);
    const { logger } = io;
    const reportFile = outputFile(io, 'report-path' satisfies GateInput, inputs.reportPath);
    const sarifFile = inputs.sarifPath ? outputFile(io, 'sarif-path' satisfies GateInput, inputs.sarifPath) : undefined;
    await reportFile.check();
    await sarifFile?.check();
    const live = inputs.live
      ? {
          arm: await armFor(ports, io.env, inputs.live.subscriptionId),
          ...(inputs.live.resourceGroup ? { resourceGroup: inputs.live.resourceGroup } : {}),
        }
      : undefined;
    const { report, policy } = await logger.group('Judge the environment', () =>
      untilCancelled(
        runGate({
          cwd: workspace,
          ...(inputs.config ? { config: inputs.config } : {}),
          ...(inputs.template ? { template: inputs.template } : {}),
          ...(inputs.parameters ? { parameters: inputs.parameters } : {}),
          ...(inputs.waivers ? { waivers: inputs.waivers } : {}),
          ...(inputs.failOn ? { blocking: inputs.failOn.policy } : {}),
          ...(inputs.baseRef ? { baseRef: inputs.baseRef } : {}),
          ...(inputs.target ? { target: inputs.target } : {}),
          ...(live ? { live } : {}),
        }),
        ports.cancellation,
      ),
    );
    const enforced = !inputs.failOn?.never;
    // Every blocker once in the log: the annotations carry them, the text report only counts them.
    logger.info(renderText(report, policy, { annotated: true, enforced }));
    const notes = report.notes ?? [];
    if (notes.length > 0) logger.warning(notes.join('\n'), { title: 'HIPAA gate: read first' });

    const failing = report.verdict === 'fail' && enforced;
    const reserved = enforced ? (failing ? 1 : 0) : notes.length > 0 ? 1 : 0;
    for (const annotation of gateAnnotations(report, policy, { enforced, reserved, workspace }))
      logger[annotation.level](annotation.message, {
        title: annotation.title,
        ...(annotation.location ? { file: annotation.location.file, line: annotation.location.line } : {}),
      });
    const blocking = report.findings.filter((finding) => isBlocking(finding, policy));

    const reportPath = await reportFile.write(renderReport('json', report, policy));
    await sarifFile?.write(renderReport('sarif', report, policy));
    const summaryOptions = { enforced, fullReport: `the JSON report (${REPORT_POINTER})` };
    await io.summary(renderReport('markdown', report, policy, summaryOptions));

    if (inputs.issue) {
      const markdown = renderReport('markdown', report, policy, summaryOptions);
      const tracked = trackIssue(
        {
          token: inputs.issue.token,
          repository: context.repository ?? '',
          title: inputs.issue.title,
          ...(context.apiUrl ? { apiUrl: context.apiUrl } : {}),
        },
        report.verdict,
        issueBody(report, markdown),
        context.runUrl ?? '',
      ).catch((error: unknown) => {
        throw new Error(
          `Could not keep the gate's issue up to date (give the job permissions issues: write): ${(error as Error).message}`,
          { cause: error },
        );
      });
      const done = await untilCancelled(tracked, ports.cancellation);
      logger.info(`Issue "${inputs.issue.title}": ${done}.`);
    }
    io.setOutput('verdict', report.verdict);
    io.setOutput('failed-count', String(blocking.length));
    io.setOutput('report-path', reportPath);
    if (report.verdict === 'fail' && !inputs.failOn?.never) {
      io.setFailed(`HIPAA gate: ${blocking.length} blocking finding(s); see the job summary for each control and its fix.`);
    }
  });
}

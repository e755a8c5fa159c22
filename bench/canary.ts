/**
 * What the canary analysis adds beyond its windows: three steps analysed through the sandbox's Azure
 * Monitor (Metrics List through Resource Manager, the Log Analytics query API, tokens for both), each
 * step's window and ingestion delay waited out for real, while a stand-in ingress records requests
 * for the candidate and the baseline (no containers: this measures the analysis, not the apps). The
 * wall time against the sum of the windows and delays it must wait. Target: at most 1.1 times.
 * Run: npx tsx bench/canary.ts
 */
import { startSandbox } from '../sandbox/index.js';
import { armPort } from '../src/azure/arm.js';
import { azureMonitorReader } from '../src/azure/monitor.js';
import { analyseStep, DEFAULT_ANALYSIS, type AnalysisSettings, type CheckRecord } from '../src/deploy/canary.js';

const TARGET_RATIO = 1.1;
const STEPS = [10, 25, 50];
const SETTINGS: AnalysisSettings = { ...DEFAULT_ANALYSIS, intervalSeconds: 2, ingestionDelaySeconds: 1, minRequests: 20 };

const sandbox = await startSandbox({ latencyMs: 15, monitorIngestionDelayMs: 500 });
try {
  const env = { ...process.env, ...sandbox.env };
  const subscription = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  const group = `/subscriptions/${subscription}/resourceGroups/bench-rg`;
  const environmentId = `${group}/providers/Microsoft.App/managedEnvironments/env`;
  const appId = `${group}/providers/Microsoft.App/containerApps/web`;
  const workspaceId = `${group}/providers/Microsoft.OperationalInsights/workspaces/logs`;
  const arm = armPort(env, subscription);
  await arm.putResourceGroup('bench-rg', { location: 'eastus2', tags: {} });
  // The environment as provision leaves it, stored directly: this bench is about reading its metrics and logs.
  const store = (id: string, type: string, properties: Record<string, unknown>) =>
    sandbox.server.arm.resources.set(id.toLowerCase(), {
      id,
      type,
      name: id.split('/').at(-1) as string,
      resourceGroup: 'bench-rg',
      apiVersion: '2026-01-01',
      envelope: { location: 'eastus2' },
      properties,
      provisioningState: 'Succeeded',
    });
  store(workspaceId, 'Microsoft.OperationalInsights/workspaces', {});
  store(environmentId, 'Microsoft.App/managedEnvironments', {});
  store(appId, 'Microsoft.App/containerApps', { environmentId });
  store(`${environmentId}/providers/Microsoft.Insights/diagnosticSettings/hipaa-audit-logs`, 'Microsoft.Insights/diagnosticSettings', {
    workspaceId,
    logs: [{ categoryGroup: 'allLogs', enabled: true }],
  });
  const reader = azureMonitorReader(arm, env, { appId, app: 'web', workspace: { resourceGroup: 'bench-rg', name: 'logs' } });

  // About 200 requests a second (one per 5 ms timer tick), split by the step's weight.
  let weight = 0;
  const ingress = setInterval(() => {
    const revision = Math.random() * 100 < weight ? 'web--new' : 'web--old';
    sandbox.server.requests.record({
      at: Date.now(),
      appId,
      app: 'web',
      environmentId,
      revision,
      status: 200,
      durationMs: 5 + Math.random() * 5,
    });
  }, 5);
  const checks: CheckRecord[] = [];
  const started = Date.now();
  try {
    for (const step of STEPS) {
      weight = step;
      const decision = await analyseStep({
        reader,
        settings: SETTINGS,
        step,
        shiftedAt: Date.now(),
        candidate: 'web--new',
        baseline: 'web--old',
        now: () => Date.now(),
        sleep: (ms) => new Promise((wake) => setTimeout(wake, ms)),
        log: () => undefined,
        checks,
      });
      if (decision.kind !== 'pass') throw new Error(`step ${step}% did not pass: ${decision.reason}`);
    }
  } finally {
    clearInterval(ingress);
  }
  const wall = Date.now() - started;
  const waits =
    checks.reduce((sum, check) => sum + (check.window.to - check.window.from), 0) + checks.length * SETTINGS.ingestionDelaySeconds * 1000;
  const ratio = wall / waits;
  for (const check of checks)
    console.log(
      `    ${check.step}%: ${check.revisions.map((counts) => `${counts.revision} ${counts.requests} requests p95 ${counts.p95Ms?.toFixed(1)} ms`).join(', ')}`,
    );
  console.log(
    `canary analysis of traffic-steps ${STEPS.join(',')}, interval ${SETTINGS.intervalSeconds} s, ingestion delay ${SETTINGS.ingestionDelaySeconds} s`,
  );
  console.log(`  must wait: ${checks.length} windows and their delays = ${waits} ms`);
  console.log(`  the analysis (reads of metrics and logs, tokens, decisions): ${wall} ms, ${wall - waits} ms beyond its windows`);
  console.log(`  ratio ${ratio.toFixed(2)} against a target of ${TARGET_RATIO} ${ratio <= TARGET_RATIO ? 'OK' : 'OVER TARGET'}`);
} finally {
  await sandbox.stop();
}

import type { GateReport } from '../../../src/compliance/model.js';
import { POLICY_AZURE } from '../../../src/gate/policy-states.js';

export interface IssueTracking {
  token: string;
  /** `owner/name` (GITHUB_REPOSITORY). */
  repository: string;
  title: string;
  /** GITHUB_API_URL; github.com's API when absent. */
  apiUrl?: string;
}

/** Marks the one issue the gate keeps, so a person's issue with the same title is never touched. */
const LABEL = 'azure-hipaa-gate';
/** GitHub refuses issue bodies over 65,536 characters. */
const MAX_BODY = 60_000;

/**
 * Keeps one issue in step with the gate, for a scheduled live gate: a failing verdict opens it (or
 * updates its body with the latest report), a passing one closes it with a comment. Returns what it did.
 */
export async function trackIssue(tracking: IssueTracking, verdict: 'pass' | 'fail', report: string, runUrl: string): Promise<string> {
  const [owner = '', repo = ''] = tracking.repository.split('/');
  // Loaded only when asked for: judging a plan does not pay for Octokit's start-up.
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(tracking.token, tracking.apiUrl ? { baseUrl: tracking.apiUrl } : {});
  const open = await octokit.rest.issues.listForRepo({ owner, repo, state: 'open', labels: LABEL, per_page: 100 });
  const existing = open.data.find((issue) => issue.title === tracking.title && !issue.pull_request);
  if (verdict === 'fail') {
    const trailer = `\n\n_Updated by [this run](${runUrl}). The issue closes itself when the gate passes again._`;
    const body = `${report.length > MAX_BODY ? `${report.slice(0, MAX_BODY)}\n\n(The report is cut here; the whole one is in the run's summary.)` : report}${trailer}`;
    if (existing) {
      await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, body });
      return `updated issue #${existing.number}`;
    }
    const created = await octokit.rest.issues.create({ owner, repo, title: tracking.title, body, labels: [LABEL] });
    return `opened issue #${created.data.number}`;
  }
  if (!existing) return 'no open issue to close';
  await octokit.rest.issues.createComment({
    owner,
    repo,
    issue_number: existing.number,
    body: `The gate passes again ([run](${runUrl})).`,
  });
  await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed', state_reason: 'completed' });
  return `closed issue #${existing.number}`;
}

/**
 * The issue's body: the gate's report, then Azure Policy's own verdicts on the group (live only),
 * each non-compliant policy with its resource, and the control of ours that means the same.
 */
export function issueBody(report: GateReport, markdown: string): string {
  if (report.input.kind !== 'live') return markdown;
  const azure = report.findings.filter((finding) => finding.control === POLICY_AZURE);
  const heading = "### Azure Policy's verdicts on the group";
  if (azure.length === 0) return `${markdown}\n\n${heading}\n\nAzure Policy reports no non-compliant policy for the group.`;
  const rows = azure.map(
    (finding) =>
      `| ${cell(finding.resource.name || finding.resource.id)} | ${cell(finding.status)} | ${cell(finding.severity)} | ${cell(finding.message)} |`,
  );
  return `${markdown}\n\n${heading}\n\n${azure.length} finding(s) from Policy Insights, beside the gate's own above:\n\n| Resource | Status | Severity | What Azure Policy says |\n|---|---|---|---|\n${rows.join('\n')}`;
}

/** Text for a Markdown table cell: no line breaks, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

import type { InputDescription } from '../arm/deployed.js';
import type { SourceLocation } from '../core/json-path.js';

/**
 * The shared data model of the HIPAA gate. Three inputs (the rendered config, a user's ARM
 * template, live resources) are turned into one `JudgedEnvironment` (src/arm/deployed.ts); the
 * controls judge it and produce `Finding`s; the reports render a `GateReport`.
 */

export type FindingStatus = 'pass' | 'fail' | 'unknown' | 'waived' | 'not-applicable';
export type Severity = 'required' | 'advisory';

export interface Finding {
  control: string;
  status: FindingStatus;
  severity: Severity;
  hipaa: string[];
  resource: { type: string; name: string; id: string };
  message: string;
  /** How to fix it; set on fail and unknown. */
  remediation?: string;
  location?: SourceLocation;
  /** The waiver that covers it, when status is `waived`. */
  waiver?: { reason: string; approvedBy: string; expires: string };
  /** Live mode with a config: the planned and live values where they differ. */
  drift?: { path: string; planned: unknown; live: unknown }[];
}

export type Verdict = 'pass' | 'fail';

export interface GateReport {
  verdict: Verdict;
  input: InputDescription;
  /** ISO 8601 time of the judgement. */
  judgedAt: string;
  summary: { pass: number; fail: number; unknown: number; waived: number; notApplicable: number };
  findings: Finding[];
  /** Notes about the inputs themselves, shown first: policy loosened against the base branch, files no code owner reviews. */
  notes?: string[];
  /** The resources judged, for the Markdown report's diagram: type, name, and links. */
  resources: { type: string; name: string; id: string; parentId?: string; dependsOn?: string[]; scopeId?: string }[];
}

/** What the user's gate policy says (config `gate:` section, or the defaults). */
export interface GatePolicy {
  /** Tag name -> required value; `null` means any non-empty value. */
  requiredTags: Record<string, string | null>;
  /** Minimum Key Vault soft-delete retention in days (7-90). */
  minKeyVaultRetentionDays: number;
  /** Minimum days audit logs and backups are kept (HIPAA 164.316(b)(2): six years = 2190). */
  minAuditRetentionDays: number;
  /** Minimum SQL long-term retention of yearly backups, ISO 8601 duration. */
  minSqlYearlyRetention: string;
  /** BAA evidence must have been reviewed within this many days. */
  baaReviewMaxAgeDays: number;
  /** Whether `fail` on an advisory control blocks promotion. */
  advisoryBlocks: boolean;
  /** The longest a waiver may run, counted from today: a longer one is refused. */
  maxWaiverDays: number;
  /** Whether `unknown` blocks promotion (fail closed: true unless the user lowers it). */
  unknownBlocks: boolean;
}

export const DEFAULT_GATE_POLICY: GatePolicy = {
  requiredTags: { Compliance: 'HIPAA', Environment: null },
  minKeyVaultRetentionDays: 90,
  minAuditRetentionDays: 2190,
  minSqlYearlyRetention: 'P6Y',
  baaReviewMaxAgeDays: 365,
  maxWaiverDays: 365,
  advisoryBlocks: false,
  unknownBlocks: true,
};

/** The BAA evidence the config names, with what reading its file found (the gate's input layer reads it). */
export interface BaaEvidence {
  signedDate: string;
  reviewedDate: string;
  /** The file as the config names it (relative to the config file). */
  file: string;
  /** The recorded sha256. */
  sha256: string;
  /** The file's actual sha256, or why it could not be read. */
  found: { sha256: string } | { problem: string };
}

/**
 * What the config records about Azure OpenAI's abuse monitoring, which may keep prompts and
 * completions for human review unless Microsoft approved turning that off: the approval, or a
 * reviewed decision to keep it (judged by openai.abuse-monitoring).
 */
export interface AbuseMonitoringRecord {
  approval?: { approvedDate: string; reference: string } | undefined;
  waiver?: { reason: string; reviewedBy: string; reviewedDate: string } | undefined;
}

export interface Waiver {
  control: string;
  /** Resource name or glob (`*` within a name segment, `**` across `/`). */
  resource: string;
  reason: string;
  approvedBy: string;
  /** ISO date (YYYY-MM-DD); the waiver lapses at the end of that day, UTC. */
  expires: string;
  /** Where the waiver stands, for findings about the waiver itself. */
  location?: SourceLocation;
}

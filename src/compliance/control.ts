import type { JudgedEnvironment, JudgedResource } from '../arm/deployed.js';
import type { AbuseMonitoringRecord, BaaEvidence, GatePolicy, Severity } from './model.js';
import type { JsonPath } from '../core/json-path.js';

/** What a control may look at besides the resource itself. */
export interface ControlContext {
  policy: GatePolicy;
  environment: JudgedEnvironment;
  baa?: BaaEvidence;
  /** What the config records about Azure OpenAI's abuse monitoring. */
  abuseMonitoring?: AbuseMonitoringRecord;
  now: Date;
}

export type ControlStatus = 'pass' | 'fail' | 'unknown' | 'not-applicable';

export interface ControlResult {
  status: ControlStatus;
  /** Says what was found, naming the property and value (never a secret). */
  message: string;
  /** The body path of the property the result is about, for the report's file and line. */
  path?: JsonPath;
}

/** One rule of the catalog in controls.md. The id is public API: never rename one. */
export interface Control {
  id: string;
  title: string;
  severity: Severity;
  hipaa: readonly string[];
  /** What to change: the property and value in ARM terms, and the config key where there is one. */
  remediation: string;
  /**
   * Resource types judged (compared case-insensitively), `every-resource`, or `environment` for
   * a control judged once per environment (then `evaluate` gets no resource).
   */
  appliesTo: readonly string[] | 'every-resource' | 'environment';
  evaluate(resource: JudgedResource | undefined, context: ControlContext): ControlResult;
}

import { DEFAULT_GATE_POLICY, type GatePolicy } from '../compliance/model.js';
import type { EnvironmentConfig } from './schema.js';

/** "*" in `gate.requiredTags` reads better in YAML than null; both mean "any non-empty value". */
const ANY_VALUE = '*';

/** The gate policy the config asks for; fields the config leaves out keep `DEFAULT_GATE_POLICY`. */
export function gatePolicyOf(config: EnvironmentConfig): GatePolicy {
  const { gate } = config;
  return {
    ...DEFAULT_GATE_POLICY,
    requiredTags: Object.fromEntries(Object.entries(gate.requiredTags).map(([tag, value]) => [tag, value === ANY_VALUE ? null : value])),
    minKeyVaultRetentionDays: gate.minKeyVaultRetentionDays,
    minAuditRetentionDays: gate.minAuditRetentionDays,
    minSqlYearlyRetention: gate.minSqlYearlyRetention,
    baaReviewMaxAgeDays: gate.baaReviewMaxAgeDays,
    maxWaiverDays: gate.maxWaiverDays,
    advisoryBlocks: gate.advisoryBlocks,
    unknownBlocks: gate.unknownBlocks,
  };
}

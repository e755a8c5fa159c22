import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseWaivers, type WaiverProblem } from '../compliance/waivers.js';
import { DEFAULT_GATE_POLICY, type AbuseMonitoringRecord, type BaaEvidence, type GatePolicy, type Waiver } from '../compliance/model.js';
import type { LoadedConfig } from '../config/load.js';
import { gatePolicyOf } from '../config/gate-policy.js';
import { ConfinedFileError, readConfinedFile } from '../core/confined-file.js';
import { ConfigurationError } from '../core/errors.js';
import { parseLocatedDocument } from '../core/located-document.js';

/** What the judge needs besides the resources: the policy, the waivers, and the BAA evidence as read from disk. */
export interface JudgingInputs {
  policy: GatePolicy;
  waivers: Waiver[];
  waiverProblems: WaiverProblem[];
  baa?: BaaEvidence;
  /** What the config records about Azure OpenAI's abuse monitoring. */
  abuseMonitoring?: AbuseMonitoringRecord;
  /** The waivers file read, if any (absolute). */
  waiversFile?: string;
}

/** A BAA is a PDF of a few hundred kilobytes; anything near this is not one. */
const MAX_BAA_BYTES = 25 * 1024 * 1024;
const MAX_WAIVERS_BYTES = 1024 * 1024;

export interface JudgingRequest {
  /** The repository: the BAA file and the waivers file are read only inside it. */
  cwd: string;
  /** Overrides the config's `waivers` entry; relative to `cwd`. */
  waivers?: string;
  /** Overrides the policy's blocking rules (the action's `fail-on`). */
  blocking?: Pick<GatePolicy, 'advisoryBlocks' | 'unknownBlocks'>;
}

/** Reads the policy, waivers and BAA evidence the config (if any) names, each file confined to the repository. */
export async function loadJudgingInputs(loaded: LoadedConfig | undefined, request: JudgingRequest): Promise<JudgingInputs> {
  const policy: GatePolicy = { ...(loaded ? gatePolicyOf(loaded.config) : DEFAULT_GATE_POLICY), ...request.blocking };
  const waiversFile =
    request.waivers !== undefined
      ? resolve(request.cwd, request.waivers)
      : loaded?.config.waivers !== undefined
        ? resolve(loaded.baseDir, loaded.config.waivers)
        : undefined;
  const { waivers, problems } = waiversFile ? await loadWaivers(waiversFile, request.cwd) : { waivers: [], problems: [] };
  const baa = loaded?.config.baa ? await readBaaEvidence(loaded, request.cwd) : undefined;
  const abuseMonitoring = loaded?.config.ai.openai.abuseMonitoring;
  return {
    policy,
    waivers,
    waiverProblems: problems,
    ...(baa ? { baa } : {}),
    ...(abuseMonitoring ? { abuseMonitoring } : {}),
    ...(waiversFile ? { waiversFile } : {}),
  };
}

async function loadWaivers(file: string, root: string): Promise<{ waivers: Waiver[]; problems: WaiverProblem[] }> {
  const display = displayPath(file, root);
  let text: Buffer;
  try {
    text = await readConfinedFile(file, root, MAX_WAIVERS_BYTES);
  } catch (error) {
    const why = error instanceof ConfinedFileError ? error.message : 'cannot be read';
    throw new ConfigurationError(`Waivers file ${display} ${why}. Check the waivers input (or the config's waivers key).`);
  }
  return parseWaivers(parseLocatedDocument(text.toString('utf8'), display));
}

async function readBaaEvidence(loaded: LoadedConfig, root: string): Promise<BaaEvidence> {
  const baa = loaded.config.baa as NonNullable<LoadedConfig['config']['baa']>;
  let found: BaaEvidence['found'];
  try {
    found = {
      sha256: createHash('sha256')
        .update(await readConfinedFile(resolve(loaded.baseDir, baa.file), root, MAX_BAA_BYTES))
        .digest('hex'),
    };
  } catch (error) {
    found = { problem: error instanceof ConfinedFileError ? error.message : 'cannot be read' };
  }
  return { signedDate: baa.signedDate, reviewedDate: baa.reviewedDate, file: baa.file, sha256: baa.sha256, found };
}

function displayPath(file: string, root: string): string {
  const inside = relative(root, file);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : file;
}

import { describe, expect, it } from 'vitest';
import type { Control } from '../../src/compliance/control.js';
import { evaluate, isBlocking } from '../../src/compliance/evaluate.js';
import { UnknownValue } from '../../src/arm/values.js';
import { DEFAULT_GATE_POLICY, type GateReport, type Waiver } from '../../src/compliance/model.js';
import { renderReport } from '../../src/compliance/report/index.js';
import { parseWaivers } from '../../src/compliance/waivers.js';
import { parseLocatedDocument } from '../../src/core/located-document.js';
import { environment, resource } from '../helpers/compliance.js';

const now = new Date('2026-11-22T12:00:00Z');
const vaultControl = (id: string, severity: Control['severity'] = 'required'): Control => ({
  id,
  title: 'purge protection',
  severity,
  hipaa: ['164.312(c)(1)'],
  remediation: 'Set properties.enablePurgeProtection to true.',
  appliesTo: ['Microsoft.KeyVault/vaults'],
  evaluate: (r) => {
    const value = (r?.body['properties'] as Record<string, unknown> | undefined)?.['enablePurgeProtection'];
    if (value instanceof UnknownValue) return { status: 'unknown', message: 'unknown' };
    return value === true
      ? { status: 'pass', message: 'on' }
      : { status: 'fail', message: 'off', path: ['properties', 'enablePurgeProtection'] };
  },
});
const vaults = (...flags: unknown[]) =>
  environment(
    flags.map((flag, i) =>
      resource({ type: 'Microsoft.KeyVault/vaults', name: `kv${i}`, body: { properties: { enablePurgeProtection: flag } } }),
    ),
  );

describe('evaluate', () => {
  it('yields exactly one finding per (resource, applicable control) pair', () => {
    const report = evaluate(vaults(true, false), { policy: DEFAULT_GATE_POLICY, now, controls: [vaultControl('a'), vaultControl('b')] });
    expect(report.findings.map((f) => `${f.control}:${f.resource.name}:${f.status}`)).toEqual([
      'a:kv0:pass',
      'a:kv1:fail',
      'b:kv0:pass',
      'b:kv1:fail',
    ]);
    expect(report.summary).toEqual({ pass: 2, fail: 2, unknown: 0, waived: 0, notApplicable: 0 });
    expect(report.verdict).toBe('fail');
  });

  it('keeps a control that throws as an unknown finding', () => {
    const broken: Control = {
      ...vaultControl('broken'),
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const report = evaluate(vaults(true), { policy: DEFAULT_GATE_POLICY, now, controls: [broken] });
    expect(report.findings[0]).toMatchObject({ status: 'unknown', message: expect.stringContaining('boom') });
  });

  it('turns what the input could not resolve into unknown findings', () => {
    const env = vaults(true);
    env.unresolved.push({ message: 'nested deployment x is not expanded' });
    const report = evaluate(env, { policy: DEFAULT_GATE_POLICY, now, controls: [] });
    expect(report.findings).toEqual([expect.objectContaining({ control: 'input.resolvable', status: 'unknown' })]);
    expect(report.verdict).toBe('fail');
  });

  it('makes a failure on a resource whose condition is unknown itself unknown', () => {
    const env = vaults(false);
    (env.resources[0] as { conditionUnknown?: UnknownValue }).conditionUnknown = new UnknownValue('reference');
    expect(evaluate(env, { policy: DEFAULT_GATE_POLICY, now, controls: [vaultControl('a')] }).findings[0]?.status).toBe('unknown');
  });

  it.each([
    ['required fail', 'required', false, { advisoryBlocks: false, unknownBlocks: true }, true],
    ['advisory fail, advisory not blocking', 'advisory', false, { advisoryBlocks: false, unknownBlocks: true }, false],
    ['advisory fail, advisory blocking', 'advisory', false, { advisoryBlocks: true, unknownBlocks: true }, true],
    ['unknown, fail closed', 'required', new UnknownValue('x'), { advisoryBlocks: false, unknownBlocks: true }, true],
    ['unknown, lowered by the user', 'required', new UnknownValue('x'), { advisoryBlocks: false, unknownBlocks: false }, false],
  ] as const)('%s blocks: %s', (_label, severity, flag, blocking, blocks) => {
    const policy = { ...DEFAULT_GATE_POLICY, ...blocking };
    const report = evaluate(vaults(flag), { policy, now, controls: [vaultControl('a', severity)] });
    expect(isBlocking(report.findings[0] as GateReport['findings'][0], policy)).toBe(blocks);
    expect(report.verdict).toBe(blocks ? 'fail' : 'pass');
  });
});

describe('waivers', () => {
  const waiver = (overrides: Partial<Waiver> = {}): Waiver => ({
    control: 'a',
    resource: 'kv*',
    reason: 'replacing the vault next sprint',
    approvedBy: 'security@example.com',
    expires: '2026-12-31',
    ...overrides,
  });

  it('waive a matching failure by glob, keeping it in the report', () => {
    const report = evaluate(vaults(false), { policy: DEFAULT_GATE_POLICY, now, controls: [vaultControl('a')], waivers: [waiver()] });
    expect(report.findings[0]).toMatchObject({ status: 'waived', waiver: { reason: 'replacing the vault next sprint' } });
    expect(report.verdict).toBe('pass');
  });

  it('are themselves failures once expired, and waive nothing', () => {
    const report = evaluate(vaults(false), {
      policy: DEFAULT_GATE_POLICY,
      now,
      controls: [vaultControl('a')],
      waivers: [waiver({ expires: '2026-11-21' })],
    });
    expect(report.findings.map((f) => `${f.control}:${f.status}`)).toEqual(['a:fail', 'waiver.valid:fail']);
  });

  it('are read with every malformed entry reported at its line', () => {
    const text = [
      '- control: keyvault.public-network',
      '  resource: seniorly-prod-secrets',
      '  reason: private endpoint next quarter',
      '  approvedBy: ciso@example.com',
      '  expires: 2027-03-31',
      '- control: keyvault.nope',
      '  resource: x',
      '  reason: r',
      '  approvedBy: a',
      '  expires: 2027-01-01',
      '- control: keyvault.rbac',
      '  resource: x',
      '',
    ].join('\n');
    const { waivers, problems } = parseWaivers(parseLocatedDocument(text, 'waivers.yml'));
    expect(waivers).toEqual([expect.objectContaining({ control: 'keyvault.public-network', expires: '2027-03-31' })]);
    expect(problems.map((p) => [p.location?.line, p.message])).toEqual([
      [6, expect.stringContaining('"keyvault.nope" is not a control id')],
      [11, expect.stringContaining('missing reason, approvedBy, expires')],
    ]);
  });
});

describe('reports', () => {
  const report = evaluate(vaults(false, true, new UnknownValue('x')), {
    policy: DEFAULT_GATE_POLICY,
    now,
    controls: [vaultControl('keyvault.purge-protection')],
    waivers: [{ control: 'keyvault.purge-protection', resource: 'kv2', reason: 'r', approvedBy: 'a', expires: '2027-01-01' }],
  });

  it('JSON has exactly the shape of controls.md', () => {
    const json = JSON.parse(renderReport('json', report, DEFAULT_GATE_POLICY)) as Record<string, unknown> & {
      findings: Record<string, unknown>[];
    };
    expect(Object.keys(json)).toEqual(['verdict', 'input', 'judgedAt', 'summary', 'findings']);
    expect(json['summary']).toEqual({ pass: 1, fail: 1, unknown: 0, waived: 1, notApplicable: 0 });
    expect(Object.keys(json.findings[0] as object)).toEqual([
      'control',
      'status',
      'severity',
      'hipaa',
      'resource',
      'message',
      'remediation',
    ]);
  });

  it('Markdown puts the verdict first and draws the environment', () => {
    const markdown = renderReport('markdown', report, DEFAULT_GATE_POLICY);
    expect(markdown.split('\n')[0]).toBe('## ❌ HIPAA gate: fail, 1 blocking finding');
    expect(markdown).toMatch(/\| \[keyvault\.purge-protection\]\([^)]*#keyvault\.purge-protection\) ❌ fail \| `kv0`: off \|/);
    expect(markdown).toContain('164.312 Technical safeguards');
    expect(markdown).toMatch(/```mermaid\nflowchart LR/);
  });

  it('SARIF 2.1.0 refers only to rules it declares, with waived results suppressed', () => {
    const sarif = JSON.parse(renderReport('sarif', report, DEFAULT_GATE_POLICY)) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; suppressions?: unknown[] }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0] as (typeof sarif.runs)[0];
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
    expect(run.results.filter((r) => r.suppressions)).toHaveLength(1);
  });

  it('text starts with the verdict', () => {
    expect(renderReport('text', report, DEFAULT_GATE_POLICY)).toMatch(/^HIPAA gate: FAIL/);
  });
});

import { describe, expect, it } from 'vitest';
import { revisionSuffix } from '../../src/deploy/revision-suffix.js';

describe('the revision suffix', () => {
  it('names the commit, the run and the attempt, and is unique across workflows that deploy one commit', () => {
    const commit = 'c0ffee0123456789abcdef0123456789abcdef01';
    expect(revisionSuffix(commit, { GITHUB_RUN_ID: '16534251234', GITHUB_RUN_ATTEMPT: '2' })).toBe('cc0ffee0-7lg2dwi-2');
    // main.yml's run 7 and cutover.yml's run 7 are different runs, with different ids.
    expect(revisionSuffix(commit, { GITHUB_RUN_ID: '16534251234' })).not.toBe(revisionSuffix(commit, { GITHUB_RUN_ID: '16534259999' }));
  });

  it('fits Azure’s 54 characters with the longest app name (32) even for the largest run id and a two-digit attempt', () => {
    const suffix = revisionSuffix('f'.repeat(40), { GITHUB_RUN_ID: String(Number.MAX_SAFE_INTEGER), GITHUB_RUN_ATTEMPT: '99' });
    expect(32 + suffix.length).toBeLessThanOrEqual(54);
    expect(suffix).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(suffix).not.toContain('--');
  });
});

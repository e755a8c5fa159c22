/** The traffic steps a deploy shifts through, as the deploy-container input and the rollout take them. */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { trafficSteps } from '../../src/deploy/steps.js';

const what = 'Input "traffic-steps"';

describe('traffic steps', () => {
  it('takes rising whole percentages ending at 100', () => {
    expect(trafficSteps(['10', '50', '100'], what, '10,50,100')).toEqual([10, 50, 100]);
  });

  it('shifts all traffic at once when none are given', () => {
    expect(trafficSteps([], what, '')).toEqual([100]);
  });

  it.each([
    ['not ending at 100', ['10', '50']],
    ['falling', ['50', '10', '100']],
    ['repeating a step', ['50', '50', '100']],
    ['a fraction', ['12.5', '100']],
    ['zero', ['0', '100']],
    ['over 100', ['50', '150']],
    ['not a number', ['ten', '100']],
  ])('refuses steps %s, quoting them as given', (_label, items) => {
    const given = items.join(', ');
    expect(() => trafficSteps(items, what, given)).toThrow(
      new ConfigurationError(`${what} is rising whole percentages ending at 100, like 10,50,100; got "${given}".`),
    );
  });
});

import { ConfigurationError } from '../core/errors.js';

/** What a deploy without traffic steps does: all traffic at once, after the candidate is proven. */
export const ALL_AT_ONCE = [100];

/**
 * The traffic steps a deploy shifts through, from the items given (`10,50,100`): rising whole
 * percentages ending at 100; none given is all at once. `what` names the input in the message,
 * `given` is the text as written, quoted back so the user finds it.
 */
export function trafficSteps(items: readonly string[], what: string, given: string): number[] {
  const steps = items.length > 0 ? items.map(Number) : ALL_AT_ONCE;
  const rising = steps.every(
    (step, index) => Number.isInteger(step) && step >= 1 && step <= 100 && (index === 0 || step > (steps[index - 1] as number)),
  );
  if (!rising || steps.at(-1) !== 100)
    throw new ConfigurationError(`${what} is rising whole percentages ending at 100, like 10,50,100; got "${given}".`);
  return [...steps];
}

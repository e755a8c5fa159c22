/**
 * deploy-container's build inputs as the runner gives them: `secrets` read like `build-args`, and
 * build-arg names refused when docker could not take them from its environment, or when they would
 * steer the docker CLI itself (build-arg values reach docker through its environment).
 */
import { describe, expect, it } from 'vitest';
import { readDeployInputs } from '../../actions/deploy-container/src/inputs.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { DEFAULT_ANALYSIS } from '../../src/deploy/canary.js';
import { recordedIO } from '../helpers/action-io.js';

const read = (inputs: Record<string, string>) => readDeployInputs(recordedIO('deploy-container', inputs));

describe('deploy-container build inputs', () => {
  it('reads secrets as ID=value lines, kept apart from the build args', () => {
    const inputs = read({ 'build-args': 'APP_MODE=production', secrets: 'npm_token=abc=def\npip.conf=[global]' });
    expect(inputs.buildArgs).toEqual({ APP_MODE: 'production' });
    expect(inputs.secrets).toEqual({ npm_token: 'abc=def', 'pip.conf': '[global]' });
  });

  it.each(['DOCKER_HOST', 'docker_config', 'DOCKER_BUILDKIT', 'BUILDX_BUILDER', 'Buildx_Config'])(
    'refuses the build arg %s, which would also set the docker CLI’s own environment',
    (name) => {
      const error = (() => {
        try {
          read({ 'build-args': `APP_MODE=production\n${name}=tcp://attacker.example:2375` });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        `Input "build-args": "${name}" would also set the docker CLI's own ${name} (build-arg values reach docker through its environment) and point it at another daemon, config or builder: rename the build arg (and its ARG in the Dockerfile), e.g. APP_${name}.`,
      );
      expect((error as Error).message).not.toContain('attacker');
    },
  );

  it.each(['app.mode', 'APP-MODE'])('refuses the build arg %s, which is not an environment variable name', (name) => {
    expect(() => read({ 'build-args': `${name}=x` })).toThrow(
      new ConfigurationError(
        `Input "build-args": "${name}" is not a build-arg name docker can take from its environment: use letters, digits and _ only, not starting with a digit.`,
      ),
    );
  });

  it('keeps names that only contain DOCKER or BUILDX after their start', () => {
    expect(read({ 'build-args': 'MY_DOCKER_HOST=a\nNO_BUILDX_HERE=b' }).buildArgs).toEqual({ MY_DOCKER_HOST: 'a', NO_BUILDX_HERE: 'b' });
  });
});

describe('deploy-container analysis inputs', () => {
  it('analyses by default whenever a step gives the new revision part of the traffic, with its defaults', () => {
    expect(read({ 'traffic-steps': '10,50,100' }).analysis).toEqual(DEFAULT_ANALYSIS);
    expect(read({ 'traffic-steps': '10,50,100', analysis: 'on' }).analysis).toEqual(DEFAULT_ANALYSIS);
  });

  it('does not analyse all traffic at once (no revision to compare with), nor when turned off', () => {
    expect(read({}).analysis).toBeUndefined();
    expect(read({ 'traffic-steps': '100' }).analysis).toBeUndefined();
    expect(read({ 'traffic-steps': '10,50,100', analysis: 'off' }).analysis).toBeUndefined();
  });

  it('refuses analysis on with all traffic at once, naming both inputs and what to change', () => {
    expect(() => read({ analysis: 'on' })).toThrow(
      /Input "analysis" is on, but Input "traffic-steps" sends all traffic at once.*give steps such as 10,50,100, or set analysis to auto/,
    );
  });

  it('reads every bound', () => {
    expect(
      read({
        'traffic-steps': '10,100',
        'analysis-interval-seconds': '30',
        'analysis-ingestion-delay-seconds': '240',
        'analysis-max-error-percent': '0.5',
        'analysis-max-error-ratio': '1.5',
        'analysis-min-requests': '100',
        'analysis-failure-limit': '2',
        'analysis-max-p95-ratio': '0',
        'analysis-max-p99-ratio': '3',
        'analysis-max-p99-ms': '200',
        'analysis-inconclusive': 'pass',
        'analysis-max-extensions': '5',
      }).analysis,
    ).toEqual({
      intervalSeconds: 30,
      ingestionDelaySeconds: 240,
      maxErrorPercent: 0.5,
      maxErrorRatio: 1.5,
      minRequests: 100,
      failureLimit: 2,
      maxP95Ratio: 0,
      maxP99Ratio: 3,
      maxP99Ms: 200,
      inconclusive: 'pass',
      maxExtensions: 5,
    });
  });

  it.each([
    ['analysis-min-requests', '0'],
    ['analysis-max-error-percent', '101'],
    ['analysis-inconclusive', 'maybe'],
    ['analysis-interval-seconds', '1.5'],
  ])('refuses %s: %s', (name, value) => {
    expect(() => read({ 'traffic-steps': '10,100', [name]: value })).toThrow(ConfigurationError);
  });
});

describe('deploy-container edge-host', () => {
  it('takes the edge’s host name, in lower case', () => {
    expect(read({ 'edge-host': 'Seniorly-Prod-0123456789abcdef.z01.azurefd.net' }).edgeHost).toBe(
      'seniorly-prod-0123456789abcdef.z01.azurefd.net',
    );
    expect(read({}).edgeHost).toBeUndefined();
  });

  it.each([
    'https://edge.z01.azurefd.net',
    'edge.z01.azurefd.net/health',
    'edge.z01.azurefd.net:8443',
    'edge.example.com@evil.test',
    'a b.net',
  ])('refuses %s, which is not a host name', (value) => {
    expect(() => read({ 'edge-host': value })).toThrow(/Input "edge-host" is a host name/);
  });
});

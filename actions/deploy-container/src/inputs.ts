import { ActionInputs } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface DeployInputs {
  config?: string;
  image?: string;
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  tags: string[];
  repository?: string;
  registry?: string;
}

/** The one place this action reads its inputs. */
export function readDeployInputs(io: ActionIO): DeployInputs {
  const inputs = new ActionInputs(io);
  const optional = (name: string) => inputs.optional(name);
  return {
    ...optionalEntry('config', optional('config')),
    ...optionalEntry('image', optional('image')),
    context: optional('context') ?? '.',
    dockerfile: optional('dockerfile') ?? 'Dockerfile',
    buildArgs: inputs.keyValues('build-args'),
    ...optionalEntry('target', optional('target')),
    labels: inputs.keyValues('labels'),
    tags: inputs.list('tags'),
    ...optionalEntry('repository', optional('repository')),
    ...optionalEntry('registry', optional('registry')),
  };
}

function optionalEntry<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

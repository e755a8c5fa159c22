/**
 * What a build may be given. Build-arg values reach docker through its environment (never its
 * command line), so a build arg's name is also an environment variable of the docker CLI; and a
 * build arg's value stays in the image (its history, BuildKit's provenance), so credentials belong
 * in BuildKit secrets, which are mounted for one RUN step and kept out of the image.
 */
import { ConfigurationError } from '../core/errors.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the docker CLI and buildx read for themselves: another daemon, config, context or builder. */
const CLI_OWN = /^(DOCKER|BUILDX)_/i;
const SECRET_ID = /^[A-Za-z0-9_.-]+$/;

/** Refuses build-arg names that are not environment variable names, or that would steer the docker CLI itself. */
export function checkBuildArgs(buildArgs: Record<string, string>, input = 'build-args'): void {
  for (const name of Object.keys(buildArgs)) {
    if (!ENV_NAME.test(name))
      throw new ConfigurationError(
        `Input "${input}": "${name}" is not a build-arg name docker can take from its environment: use letters, digits and _ only, not starting with a digit.`,
      );
    if (CLI_OWN.test(name))
      throw new ConfigurationError(
        `Input "${input}": "${name}" would also set the docker CLI's own ${name} (build-arg values reach docker through its environment) and point it at another daemon, config or builder: rename the build arg (and its ARG in the Dockerfile), e.g. APP_${name}.`,
      );
  }
}

/** Refuses secret ids BuildKit's `--secret id=...` cannot carry (a comma or `=` would split the flag). */
export function checkSecretIds(secrets: Record<string, string>, input = 'secrets'): void {
  for (const id of Object.keys(secrets))
    if (!SECRET_ID.test(id))
      throw new ConfigurationError(`Input "${input}": "${id}" is not a secret id: use letters, digits, and . _ - only.`);
}

const MIN_SECRET_LENGTH = 8;

/** Word parts that name a credential: `NPM_TOKEN`, `dbPassword`, `API-KEY`, `GH_PAT`; not `KEYBOARD` or `PATH`. */
const CREDENTIAL_WORDS = new Set(['token', 'secret', 'password', 'passwd', 'key', 'credential', 'pat', 'auth']);

/** Whether a name looks like it holds a credential: one of its word parts (split at _ - . and lower-to-upper case) is a credential word. */
export function looksLikeCredential(name: string): boolean {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_.-]+/)
    .map((part) => part.toLowerCase().replace(/s$/, ''))
    .some((part) => CREDENTIAL_WORDS.has(part));
}

/**
 * Build args that look like credentials, and why, for a warning (names only, never values). Two
 * signs, because the action cannot read the runner's list of masked values: the build arg's name
 * looks like a credential, or its value is the value of an environment variable whose name does
 * (the usual way a workflow hands a secret to a step: `env: NPM_TOKEN: ${{ secrets.NPM_TOKEN }}`).
 */
export function credentialBuildArgs(buildArgs: Record<string, string>, env: NodeJS.ProcessEnv): { name: string; why: string }[] {
  // Short values (`true`, `1`) of variables like AUTH_ENABLED are settings, and would match any build arg.
  const secretEnv = Object.entries(env).filter(
    (entry): entry is [string, string] =>
      typeof entry[1] === 'string' && entry[1].length >= MIN_SECRET_LENGTH && looksLikeCredential(entry[0]),
  );
  const found: { name: string; why: string }[] = [];
  for (const [name, value] of Object.entries(buildArgs)) {
    if (looksLikeCredential(name)) found.push({ name, why: 'its name looks like a credential' });
    else {
      const same = secretEnv.find(([, secret]) => secret === value);
      if (same) found.push({ name, why: `its value is the value of the environment variable ${same[0]}` });
    }
  }
  return found;
}

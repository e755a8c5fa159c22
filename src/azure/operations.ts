/**
 * A single Resource Manager write followed to its end: the PUT or POST, then its long-running
 * operation (`Azure-AsyncOperation` or `Location`, polled at the pace ARM asks), with ARM's error in
 * the user's words. For the few resources provision and deploy-container write outside a template.
 */
import { armError, armFailureOf, type ArmPort, type ArmResponse } from './arm-port.js';
import { retryAfterMs } from './arm.js';

export interface WriteOptions {
  /** What the write is, for messages: `Creating registry seniorlybuildacr`. */
  doing: string;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  /** The error for a refused write or a failed operation (ARM's answer); by default ARM's words with the generic remedies. */
  refused?: (response: ArmResponse) => Error;
}

/** Sends the write and waits for its operation; throws ARM's error (with what to change, where ARM's code says) on failure. */
export async function writeAndWait(
  arm: ArmPort,
  method: 'PUT' | 'POST' | 'PATCH',
  path: string,
  apiVersion: string,
  body: unknown,
  options: WriteOptions,
): Promise<ArmResponse> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const send = async (verb: 'GET' | typeof method, target: string, payload?: unknown) => {
    try {
      return await arm.send(verb, target, target.startsWith('https://') ? undefined : apiVersion, payload);
    } catch (error) {
      throw armError(error, options.doing);
    }
  };
  const refused = options.refused ?? ((response: ArmResponse) => armError({ details: response.body }, options.doing));
  const first = await send(method, path, body);
  if (first.status >= 400) throw refused(first);
  const asyncOperation = first.headers['azure-asyncoperation'];
  const location = first.headers['location'];
  if (!asyncOperation && !(first.status === 202 && location)) return first;
  let last = first;
  for (;;) {
    options.signal?.throwIfAborted();
    await sleep(retryAfterMs({ get: (name) => last.headers[name] }, 2000));
    last = await send('GET', (asyncOperation ?? location) as string);
    if (last.status >= 400) throw refused(last);
    if (asyncOperation) {
      const status = (last.body as { status?: string } | undefined)?.status;
      if (status === 'Succeeded') return first;
      if (status === 'Failed' || status === 'Canceled')
        throw refused({
          ...last,
          body: { error: armFailureOf({ details: last.body }) ?? { code: status, message: `The operation ended ${status}.` } },
        });
      continue;
    }
    if (last.status !== 202) return last;
  }
}

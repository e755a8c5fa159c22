import { runnerIO } from '../../shared/runtime.js';
import { run } from './run.js';

await run(runnerIO());

import { runEntry } from '../../shared/runtime.js';
import { run } from './run.js';

await runEntry(run);

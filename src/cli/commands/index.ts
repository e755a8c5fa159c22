import type { Command } from '../command.js';

/** Every CLI command, in the order `azure-hipaa --help` lists them. */
export const commands: Command[] = [];

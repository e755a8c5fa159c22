import * as core from '@actions/core';
import type { AnnotationLocation, Logger } from '../../src/core/logger.js';

function annotation(location?: AnnotationLocation): core.AnnotationProperties | undefined {
  if (!location) return undefined;
  return {
    ...(location.title ? { title: location.title } : {}),
    ...(location.file ? { file: location.file } : {}),
    ...(location.line ? { startLine: location.line } : {}),
    ...(location.column ? { startColumn: location.column } : {}),
  };
}

/** The core's Logger, spoken through the runner's workflow commands. */
export function actionLogger(): Logger {
  return {
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    warning: (message, location) => core.warning(message, annotation(location)),
    error: (message, location) => core.error(message, annotation(location)),
    group: (title, fn) => core.group(title, fn),
    mask: (secretValue) => {
      // The runner masks line by line, so a multi-line value is registered line by line too.
      for (const piece of [secretValue, ...secretValue.split(/\r?\n/), ...secretValue.split(/\r?\n/).map((line) => line.trim())]) {
        if (piece.length > 0) core.setSecret(piece);
      }
    },
  };
}

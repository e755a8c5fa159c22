import type { Control } from './control.js';
import { appIdentityControls, cognitiveServicesControls, openAiControls, searchControls } from './controls/ai-services.js';
import { appServiceControls, eventHubsControls } from './controls/app-service.js';
import { cosmosControls, keyVaultControls, redisControls, sqlControls } from './controls/data-services.js';
import {
  containerAppControls,
  diagnosticsControls,
  environmentControls,
  logsControls,
  registryControls,
  storageControls,
} from './controls/platform.js';
import { edgeControls } from './controls/edge.js';
import { baaControls, tagsControls } from './controls/governance.js';
import { operationsControls } from './controls/operations.js';

/** The catalog of controls.md, in its order. Control ids are public API. */
export const CONTROLS: readonly Control[] = [
  ...keyVaultControls,
  ...cosmosControls,
  ...sqlControls,
  ...redisControls,
  ...storageControls,
  ...cognitiveServicesControls,
  ...searchControls,
  ...appIdentityControls,
  ...openAiControls,
  ...logsControls,
  ...diagnosticsControls,
  ...registryControls,
  ...containerAppControls,
  ...environmentControls,
  ...edgeControls,
  ...appServiceControls,
  ...eventHubsControls,
  ...operationsControls,
  ...tagsControls,
  ...baaControls,
];

export function controlById(id: string): Control | undefined {
  return CONTROLS.find((control) => control.id === id);
}

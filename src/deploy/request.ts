import type { ImageRequest } from './image.js';
import type { RolloutRequest } from './rollout.js';

/**
 * One deploy as the action asks for it, built once at its edge with the config already loaded
 * (`loaded`): the image push takes it whole, and the rollout too, with the pushed image in place of
 * the one given. `commit` is needed only to build or promote an image.
 */
export type DeployRequest = Omit<ImageRequest, 'commit'> & Omit<RolloutRequest, 'image'> & { commit?: string };

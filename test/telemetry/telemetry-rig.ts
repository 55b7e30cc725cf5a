/** The failover rig, reused: one loopback upstream, one gateway, every face's official client. */
import type { FaceName } from '../failover/faces.js';

export { PRICE, standardProviders, startRig, type Rig } from '../failover/rig.js';

export const FACES_UNDER_TEST: readonly FaceName[] = ['openai-chat', 'anthropic', 'responses', 'aisdk'];

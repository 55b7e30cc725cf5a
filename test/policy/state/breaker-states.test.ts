import { onEveryBackend } from './backends.js';
import { breakerStatesContract } from './breaker-states.contract.js';

onEveryBackend('circuit breakers', breakerStatesContract);

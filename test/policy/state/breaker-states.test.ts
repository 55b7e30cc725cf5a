import { onEveryBackend } from './backends.js';
import { breakerStatesContract } from './breaker-states.contract.js';

// A data home keeps breakers in each process's memory: the memory run covers it.
onEveryBackend('circuit breakers', breakerStatesContract, { dataHome: false });

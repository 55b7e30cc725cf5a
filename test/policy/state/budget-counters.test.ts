import { onEveryBackend } from './backends.js';
import { budgetCountersContract } from './budget-counters.contract.js';

onEveryBackend('budget counters', budgetCountersContract);

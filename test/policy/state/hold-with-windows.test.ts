import { onEveryBackend } from './backends.js';
import { holdWithWindowsContract } from './hold-with-windows.contract.js';

onEveryBackend('a budget hold with rate windows', holdWithWindowsContract);

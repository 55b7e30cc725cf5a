import { onEveryBackend } from './backends.js';
import { rateWindowsContract } from './rate-windows.contract.js';

onEveryBackend('rate-limit windows', rateWindowsContract);

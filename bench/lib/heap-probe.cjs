// Preloaded into the gateway by `npm run soak` (node --require): after every major GC, appends
// the time and the V8 heap still in use to the file named by TOLLGATE_HEAP_PROBE. The heap right
// after a full collection is the live heap, the figure a leak makes grow.
'use strict';
const { appendFileSync } = require('node:fs');
const { constants, PerformanceObserver } = require('node:perf_hooks');

const file = process.env.TOLLGATE_HEAP_PROBE;
if (file) {
  const started = performance.now();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const s = ((performance.now() - started) / 1000).toFixed(1);
      appendFileSync(file, `${s} ${process.memoryUsage().heapUsed}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}

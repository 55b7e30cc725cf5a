// Where the gateway's CPU time went, from the .cpuprofile that `node --cpu-prof` writes.
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Time sampled, and the part of it not idle; shares below are of the busy part. */
  totalMs: number;
  busyMs: number;
  /** Self time by package or area: `tollgate`, `node`, a node_modules package, `(gc)`, `(idle)`… */
  byArea: { area: string; ms: number; share: number }[];
  /** Self time by function. */
  top: { fn: string; area: string; ms: number; share: number }[];
}

function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/src/')) return 'tollgate';
  return url;
}

export function summariseProfile(file: string, topN = 20): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const count = Math.min(prof.samples.length, prof.timeDeltas.length);
  for (let i = 0; i < count; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + prof.timeDeltas[i]);
  let total = 0;
  let idle = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, { area: string; us: number }>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)' && url === '') {
      idle += us;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const short = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const key = `${functionName || '(anonymous)'}${url ? ` ${short}:${lineNumber + 1}` : ''}`;
    const f = fns.get(key) ?? { area, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const busy = total - idle;
  const share = (us: number) => (busy ? us / busy : 0);
  return {
    file,
    totalMs: total / 1000,
    busyMs: busy / 1000,
    byArea: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    top: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, topN)
      .map(([fn, f]) => ({ fn, area: f.area, ms: f.us / 1000, share: share(f.us) })),
  };
}

export function renderProfile(p: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `Tollgate CPU profile: busy ${(p.busyMs / 1000).toFixed(1)} s of ${(p.totalMs / 1000).toFixed(1)} s sampled; shares of busy self time (${p.file})`,
  ];
  lines.push('  by area:');
  for (const a of p.byArea.slice(0, 12)) lines.push(`    ${pct(a.share)}  ${a.area}`);
  lines.push('  top functions:');
  for (const f of p.top) lines.push(`    ${pct(f.share)}  ${f.fn}  [${f.area}]`);
  return lines.join('\n');
}

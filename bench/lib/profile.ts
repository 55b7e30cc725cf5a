// Where the gateway's CPU time went, from the .cpuprofile that `node --cpu-prof` writes:
// self time (the function itself) and inclusive time (the function and what it called), for
// Tollgate's own code (src/ or dist/) and for libraries and Node apart.
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FnTime {
  fn: string;
  area: string;
  ms: number;
  /** Of busy time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Time sampled, and the part of it not idle; shares below are of the busy part. */
  totalMs: number;
  busyMs: number;
  /** Self time by package or area: `tollgate`, `node`, a node_modules package, `(gc)`, `(program)`… */
  byArea: { area: string; ms: number; share: number }[];
  /** Self time by function, all areas. */
  top: FnTime[];
  tollgate: { self: FnTime[]; inclusive: FnTime[] };
  libraries: { self: FnTime[]; inclusive: FnTime[] };
}

const TOLLGATE = 'tollgate';

function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (/\/(src|dist)\//.test(url)) return TOLLGATE;
  return url;
}

function fnKey(n: CpuProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(src|dist)\//, '$1/');
  return `${functionName || '(anonymous)'}${url ? ` ${short}:${lineNumber + 1}` : ''}`;
}

export function summariseProfile(file: string, topN = 15): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const count = Math.min(prof.samples.length, prof.timeDeltas.length);
  for (let i = 0; i < count; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + Math.max(0, prof.timeDeltas[i]));

  let total = 0;
  let idle = 0;
  const areas = new Map<string, number>();
  const selfFns = new Map<string, { area: string; us: number }>();
  const inclFns = new Map<string, { area: string; us: number }>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    if (n.callFrame.functionName === '(idle)' && n.callFrame.url === '') {
      idle += us;
      continue;
    }
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = fnKey(n);
    const f = selfFns.get(key) ?? { area, us: 0 };
    f.us += us;
    selfFns.set(key, f);
    // Inclusive: every distinct function on this node's stack gets the time once.
    const seen = new Set<string>();
    let cur: number | undefined = id;
    for (let depth = 0; cur !== undefined && depth < 2000; depth++) {
      const node = byId.get(cur);
      if (!node) break;
      const k = fnKey(node);
      if (!seen.has(k) && node.callFrame.url !== '' /* skip (root), (program), natives */) {
        seen.add(k);
        const g = inclFns.get(k) ?? { area: areaOf(node.callFrame.url, node.callFrame.functionName), us: 0 };
        g.us += us;
        inclFns.set(k, g);
      }
      cur = parent.get(cur);
    }
  }
  const busy = total - idle;
  const share = (us: number) => (busy ? us / busy : 0);
  const list = (m: Map<string, { area: string; us: number }>, keep: (area: string) => boolean): FnTime[] =>
    [...m]
      .filter(([, f]) => keep(f.area))
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, topN)
      .map(([fn, f]) => ({ fn, area: f.area, ms: f.us / 1000, share: share(f.us) }));
  const own = (a: string) => a === TOLLGATE;
  const lib = (a: string) => a !== TOLLGATE;
  return {
    file,
    totalMs: total / 1000,
    busyMs: busy / 1000,
    byArea: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    top: list(selfFns, () => true),
    tollgate: { self: list(selfFns, own), inclusive: list(inclFns, own) },
    libraries: { self: list(selfFns, lib), inclusive: list(inclFns, lib) },
  };
}

export function renderProfile(p: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `Tollgate CPU profile: busy ${(p.busyMs / 1000).toFixed(1)} s of ${(p.totalMs / 1000).toFixed(1)} s sampled; shares of busy time (${p.file})`,
  ];
  lines.push('  self time by area:');
  for (const a of p.byArea.slice(0, 14)) lines.push(`    ${pct(a.share)}  ${a.area}`);
  const section = (title: string, fns: FnTime[], withArea: boolean) => {
    lines.push(`  ${title}:`);
    for (const f of fns) lines.push(`    ${pct(f.share)}  ${f.fn}${withArea ? `  [${f.area}]` : ''}`);
  };
  section("Tollgate's own code, self time", p.tollgate.self, false);
  section("Tollgate's own code, inclusive time", p.tollgate.inclusive, false);
  section('libraries and Node, self time', p.libraries.self, true);
  section('libraries and Node, inclusive time', p.libraries.inclusive, true);
  return lines.join('\n');
}

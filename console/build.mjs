// Builds the web console (dist/console/) and the MCP Apps views (dist/mcp-apps/) with esbuild.
// `npm ci` runs it through `prepare`; `npm run build` too. Plain JavaScript, so that it runs on
// a bare install without a TypeScript loader.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const consoleOut = join(root, 'dist', 'console');
const appsOut = join(root, 'dist', 'mcp-apps');

const common = {
  bundle: true,
  minify: true,
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
};

async function buildConsole() {
  rmSync(consoleOut, { recursive: true, force: true });
  const result = await build({
    ...common,
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    format: 'esm',
    outdir: join(consoleOut, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => `/console/${relative(consoleOut, join(root, file)).split('\\').join('/')}`);
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style) throw new Error(`console build made no script or stylesheet: ${outputs.join(', ')}`);
  const html = readFileSync(join(here, 'index.html'), 'utf8').replace('%SCRIPT%', script).replace('%STYLE%', style);
  writeFileSync(join(consoleOut, 'index.html'), html);
  writeFileSync(join(consoleOut, 'favicon.svg'), readFileSync(join(here, 'favicon.svg')));
}

/** An MCP App is one HTML file with everything inline: hosts render it in a frame with no origin to load from. */
async function buildApp(name) {
  const result = await build({
    ...common,
    entryPoints: { [name]: join(here, 'mcp-apps', `${name}.ts`) },
    format: 'iife',
    outdir: appsOut,
    write: false,
  });
  const text = (extension) =>
    result.outputFiles
      .filter((file) => file.path.endsWith(extension))
      .map((file) => file.text)
      .join('\n');
  // Inline code must not close its own element early.
  const script = text('.js').replace(/<\/(script)/gi, '<\\/$1');
  const style = text('.css').replace(/<\/(style)/gi, '<\\/$1');
  const html = readFileSync(join(here, 'mcp-apps', `${name}.html`), 'utf8')
    .replace('%STYLE%', () => style)
    .replace('%SCRIPT%', () => script);
  mkdirSync(appsOut, { recursive: true });
  writeFileSync(join(appsOut, `${name}.html`), html);
}

await buildConsole();
rmSync(appsOut, { recursive: true, force: true });
await buildApp('spend');

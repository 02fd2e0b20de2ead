/**
 * Imports run one way (issue 16 item 3; docs/architecture.md): every import between the folders
 * of src/ must be allowed by LAYERS below, which is also the table in docs/architecture.md. A
 * failure names the file, the import and the rule it breaks; a new top-level folder must be added
 * to the table (and the document) before anything may import it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** folder (or top-level file without .ts) → the folders its files may import, besides its own */
const LAYERS: Record<string, readonly string[]> = {
  domain: [],
  security: [],
  log: [],
  exchange: ['domain', 'log'],
  db: ['domain', 'security', 'log'],
  config: ['domain', 'exchange'],
  engine: ['domain', 'exchange', 'db', 'security', 'log'],
  telegram: ['domain', 'engine'],
  notify: ['domain', 'engine', 'telegram', 'db', 'log'],
  bot: ['domain', 'engine', 'telegram', 'exchange', 'log'],
  http: ['domain', 'engine', 'exchange', 'log'],
  backtest: ['domain', 'exchange', 'engine', 'log'],
  cli: ['domain', 'config', 'db', 'security', 'log'],
  main: ['domain', 'security', 'log', 'exchange', 'db', 'config', 'engine', 'telegram', 'notify', 'bot', 'http'],
};

/** packages that make code impure: src/domain imports none of them (STYLE.md "The layout") */
const IMPURE = /^(ccxt|grammy|@grammyjs\/|drizzle-orm|postgres|@electric-sql\/|pino|node:|fastify|node-fetch)/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** every module specifier of a file: static, re-export, type-only and dynamic imports */
function specifiers(path: string): string[] {
  return ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** src/engine/monitor.ts → engine; src/main.ts → main */
function layerOf(path: string): string {
  const [first] = relative('src', path).split(sep);
  return first!.replace(/\.ts$/, '');
}

const sources = files('src');

describe('imports run one way between the folders of src/', () => {
  it('every folder of src/ has a row in the table', () => {
    const unknown = [...new Set(sources.map(layerOf))].filter((layer) => !(layer in LAYERS));
    expect(unknown, 'add these folders to LAYERS here and to docs/architecture.md').toEqual([]);
  });

  it('no file imports against the allowed direction', () => {
    const wrong: string[] = [];
    for (const path of sources) {
      const from = layerOf(path);
      for (const spec of specifiers(path)) {
        if (!spec.startsWith('.')) continue;
        const to = layerOf(normalize(join(dirname(path), spec)));
        if (to === from || LAYERS[from]?.includes(to)) continue;
        wrong.push(`${path} imports '${spec}': ${from} → ${to} is not allowed (${from} may import ${LAYERS[from]?.join(', ') || 'nothing else'})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the table has no cycle', () => {
    const cycle: string[] = [];
    const visit = (layer: string, path: string[]): void => {
      if (path.includes(layer)) {
        cycle.push([...path, layer].join(' → '));
        return;
      }
      for (const next of LAYERS[layer] ?? []) visit(next, [...path, layer]);
    };
    for (const layer of Object.keys(LAYERS)) visit(layer, []);
    expect(cycle).toEqual([]);
  });

  it('src/domain imports no exchange, chat, database, logging or node: package', () => {
    const impure = files('src/domain').flatMap((path) => specifiers(path).filter((s) => IMPURE.test(s)).map((s) => `${path} imports '${s}'`));
    expect(impure).toEqual([]);
  });

  it('docs/architecture.md shows the same table', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8');
    const rows = Object.fromEntries(
      [...doc.matchAll(/^\|\s*`([a-z-]+)(?:\/|\.ts)?`\s*\|\s*([^|]*)\|/gm)].map((m) => [
        m[1]!,
        [...m[2]!.matchAll(/`([a-z-]+)(?:\/|\.ts)?`/g)].map((n) => n[1]!).sort(),
      ]),
    );
    const expected = Object.fromEntries(Object.entries(LAYERS).map(([layer, allowed]) => [layer, [...allowed].sort()]));
    expect(rows).toEqual(expected);
  });
});

/**
 * Lint and format step for the AssemblyScript sources in assembly/ (`npm run lint` runs it with `--check`,
 * `npm run format` with `--write`). Prettier and ESLint parse TypeScript, where a decorator on a function
 * (AssemblyScript's `@inline`) is a syntax error, so each decorator line becomes a `// @@inline` comment,
 * the masked text is checked, formatted or linted (line numbers unchanged), and the decorators are put back.
 * `--check` lists unformatted files and ESLint problems and exits 1 if there are any; `--write` rewrites
 * unformatted files in place.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { ESLint, type Linter } from 'eslint';
import * as prettier from 'prettier';
import tseslint from 'typescript-eslint';

/** A decorator alone on its line: `@inline`, `@unmanaged`, `@external("env", "f")`, … */
const DECORATOR = /^([ \t]*)@([A-Za-z_$][\w$]*(?:\(.*\))?)[ \t]*$/gm;
/** What a decorator line becomes while prettier and ESLint see the file. */
const PLACEHOLDER = /^([ \t]*)\/\/ @@(.*)$/gm;

const mask = (text: string) => text.replace(DECORATOR, '$1// @@$2');
const unmask = (text: string) => text.replace(PLACEHOLDER, '$1@$2');

/**
 * ESLint for AssemblyScript: the project's rules (recommended JS + TypeScript), less those that cannot hold
 * there: no-undef (the AS globals f32x4, v128, load, store, … are unknown to ESLint) and ban-ts-comment
 * (`// @ts-ignore: decorator` keeps the TypeScript language service quiet about the decorators).
 */
const ESLINT_CONFIG: Linter.Config[] = [
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/ban-ts-comment': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--write') {
  process.stderr.write('usage: node dist/src/build/format-assembly.js --check | --write\n');
  process.exit(2);
}
const root = fileURLToPath(new URL('../../../', import.meta.url));
const files = readdirSync(join(root, 'assembly'))
  .filter((name) => name.endsWith('.ts'))
  .sort()
  .map((name) => join('assembly', name));

const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: ESLINT_CONFIG });
const unformatted: string[] = [];
const lintResults: ESLint.LintResult[] = [];
for (const file of files) {
  const path = join(root, file);
  const source = readFileSync(path, 'utf8');
  const masked = mask(source);
  if (unmask(masked) !== source)
    throw new Error(`${file}: a line already looks like a decorator placeholder (// @@name)`);
  const options = { ...(await prettier.resolveConfig(path)), filepath: path };
  const formatted = unmask(await prettier.format(masked, options));
  if (formatted !== source) {
    unformatted.push(file);
    if (mode === '--write') writeFileSync(path, formatted);
  }
  if (mode === '--check') lintResults.push(...(await eslint.lintText(masked, { filePath: path })));
}

if (mode === '--write') {
  for (const file of unformatted) console.log(`formatted ${file}`);
} else {
  for (const file of unformatted) console.log(`[warn] ${file}`);
  if (unformatted.length > 0)
    console.log(`[warn] ${unformatted.length} assembly/ file(s) not formatted; npm run format fixes them.`);
  const problems = lintResults.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
  if (problems > 0) console.log(await (await eslint.loadFormatter('stylish')).format(lintResults));
  if (unformatted.length > 0 || problems > 0) process.exitCode = 1;
}

// The heavy commands relaunch themselves with glibc told to keep freed memory (src/cli/relaunch.ts):
// when they do, the child's exit code, signals and death with its parent must be the command's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { MALLOC_ENV, onGlibc, shouldRelaunch } from '../src/cli/relaunch.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const linux = { platform: 'linux', glibc: () => true };
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of [...Object.keys(MALLOC_ENV), 'HHNET_MALLOC', 'HHNET_RELAUNCHED']) delete env[k];
  return env;
};

test('shouldRelaunch: heavy commands on Linux with glibc, unless told not to or already set', () => {
  assert.equal(shouldRelaunch(['train', 'multitask'], {}, linux), true);
  assert.equal(shouldRelaunch(['bench', 'train'], {}, linux), true);
  assert.equal(shouldRelaunch(['simulate'], {}, linux), false, 'a light command runs in place');
  assert.equal(shouldRelaunch([], {}, linux), false);
  assert.equal(shouldRelaunch(['train'], {}, { platform: 'darwin', glibc: () => true }), false);
  assert.equal(shouldRelaunch(['train'], {}, { platform: 'linux', glibc: () => false }), false, 'musl');
  assert.equal(shouldRelaunch(['train'], { HHNET_MALLOC: 'system' }, linux), false);
  assert.equal(shouldRelaunch(['train'], { HHNET_RELAUNCHED: '1' }, linux), false);
  assert.equal(
    shouldRelaunch(['train'], { MALLOC_TRIM_THRESHOLD_: '0' }, linux),
    false,
    'the user’s own setting',
  );
});

const relaunches = process.platform === 'linux' && onGlibc();
const linuxOnly = { skip: !relaunches && 'not Linux/glibc' };

test('a relaunched command exits with its own code and message', linuxOnly, () => {
  const r = spawnSync(process.execPath, [CLI, 'bench', 'kernels', '--models', 'nope'], {
    env: cleanEnv(),
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--models: unknown nope/);
});

/** The pid of the first child of `parent` (its relaunched command), waiting for it to appear. */
async function childOf(parent: number): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(d);
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no child of ${parent}`);
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !running(pid);
}

/** A long heavy command, and the pid of its relaunched child. */
async function startLong() {
  const args = [CLI, 'bench', 'sim', '--neurons', '100000', '--duration', '100000'];
  const parent = spawn(process.execPath, args, { env: cleanEnv(), stdio: 'ignore' });
  return { parent, child: await childOf(parent.pid as number) };
}

test(
  'the child has the settings; SIGTERM reaches it once and the parent ends as it did',
  linuxOnly,
  async () => {
    const { parent, child } = await startLong();
    const environ = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(MALLOC_ENV)) assert.ok(environ.includes(`${k}=${v}`), k);
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
      parent.on('exit', (c, s) => r([c, s])),
    );
    parent.kill('SIGTERM');
    const [code, signal] = await ended;
    assert.ok(code !== 0 || signal === 'SIGTERM', `ended: code ${code}, signal ${signal}`);
    assert.ok(await gone(child, 5000), 'the child ended');
  },
);

test('a parent killed outright takes its child with it', linuxOnly, async () => {
  const { parent, child } = await startLong();
  parent.kill('SIGKILL');
  assert.ok(await gone(child, 3000), 'the child died within 3 s of its parent');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/atomic.js';

test('writeFileAtomic writes, overwrites, creates dirs and leaves no temp files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hhnet-atomic-'));
  try {
    const file = join(dir, 'a', 'b', 'out.txt');
    await writeFileAtomic(file, 'first');
    assert.equal(await readFile(file, 'utf8'), 'first');
    await writeFileAtomic(file, new TextEncoder().encode('second'));
    assert.equal(await readFile(file, 'utf8'), 'second');
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['out.txt']);

    await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomic(file, `v${i}`)));
    assert.match(await readFile(file, 'utf8'), /^v[0-7]$/);
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['out.txt']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic cleans up its temp file on failure', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hhnet-atomic-'));
  try {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
    await assert.rejects(writeFileAtomic(target, 'x'));
    assert.deepEqual(await readdir(dir), ['taken']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeJsonAtomic pretty-prints with trailing newline', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hhnet-atomic-'));
  try {
    const file = join(dir, 'x.json');
    await writeJsonAtomic(file, { a: 1, b: [2] });
    const text = await readFile(file, 'utf8');
    assert.equal(text, '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

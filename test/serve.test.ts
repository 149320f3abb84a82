// `hhnet serve`: the playground's static server — MIME types, cross-origin isolation headers, no
// file outside its folder, a clear error for a bad port, a clean exit on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filePathOf } from '../src/cli/static-server.js';
import { serverUrl } from '../src/cli/commands/serve.js';
import { runCli, startServe } from './helpers.js';

test('request paths map into the served folder and never out of it', () => {
  assert.equal(filePathOf('/srv/pg', '/a/b.js?x=1'), '/srv/pg/a/b.js');
  assert.equal(filePathOf('/srv/pg', '/'), '/srv/pg');
  assert.equal(filePathOf('/srv/pg', '/%2e%2e/secret'), '/srv/pg/secret');
  assert.equal(filePathOf('/srv/pg', '/../../etc/passwd'), '/srv/pg/etc/passwd');
  assert.equal(filePathOf('/srv/pg', '/%E0%A4%A'), null);
  assert.equal(filePathOf('/srv/pg', '/a%00b'), null);
  assert.equal(serverUrl('127.0.0.1', 8080), 'http://127.0.0.1:8080/');
  assert.equal(serverUrl('::1', 81), 'http://[::1]:81/');
  assert.equal(serverUrl('0.0.0.0', 81), 'http://localhost:81/');
});

test('hhnet serve: MIME types, isolation headers, 404/405, and exit 0 on SIGTERM', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hhnet-serve-'));
  const outside = `${root}-outside.txt`;
  try {
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
    writeFileSync(join(root, 'k.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    writeFileSync(join(root, 'sub', 'app.js'), 'export {};');
    writeFileSync(outside, 'secret');
    const server = await startServe(['--port', '0', '--dir', root]);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(server.url);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp');
      assert.match(await index.text(), /<p>hi<\/p>/);
      const wasm = await fetch(new URL('k.wasm', server.url));
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.equal(wasm.headers.get('cross-origin-embedder-policy'), 'require-corp');
      assert.deepEqual(
        new Uint8Array(await wasm.arrayBuffer()),
        new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
      );
      const js = await fetch(new URL('sub/app.js', server.url));
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal((await fetch(new URL('missing.js', server.url))).status, 404);
      const escape = await fetch(new URL(`%2e%2e/${outside.split('/').pop()}`, server.url));
      assert.equal(escape.status, 404);
      assert.doesNotMatch(await escape.text(), /secret/);
      assert.equal((await fetch(server.url, { method: 'POST', body: 'x' })).status, 405);
    } finally {
      assert.equal(await server.stop(), 0, 'SIGTERM stops the server with exit code 0');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { force: true });
  }
});

test('hhnet serve: a bad port or folder is a one-line error', async () => {
  const bad = await runCli(['serve', '--port', '70000'], { timeoutMs: 20_000 });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /expected a port number from 0 to 65535/);
  for (const host of ['', ' ', 'a b', 'x,y']) {
    const run = await runCli(['serve', '--port', '0', '--host', host], { timeoutMs: 20_000 });
    assert.notEqual(run.code, 0, `--host '${host}'`);
    assert.match(run.stderr, /expected a host name or IP address/);
  }
  const empty = mkdtempSync(join(tmpdir(), 'hhnet-serve-empty-'));
  try {
    const none = await runCli(['serve', '--port', '0', '--dir', empty], { timeoutMs: 20_000 });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /has no index\.html to serve/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('hhnet serve: a port in use is a clear error', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hhnet-serve-busy-'));
  writeFileSync(join(root, 'index.html'), 'x');
  const first = await startServe(['--port', '0', '--dir', root]);
  try {
    const port = new URL(first.url).port;
    const second = await runCli(['serve', '--port', port, '--dir', root], { timeoutMs: 20_000 });
    assert.equal(second.code, 2);
    assert.match(second.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
  } finally {
    await first.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

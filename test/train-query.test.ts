// The train page's URL state (src/playground/train-query.ts): the data set choice, messages for
// values out of range, the round trip, and the command line it stands for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainQuery, trainCommand, trainJob, trainQuery } from '../src/playground/train-query.js';

const parse = (q: string) => parseTrainQuery(new URLSearchParams(q));

test('the default is hh-fc on Multi-MNIST; a Fashion data set round-trips into the job and command', () => {
  assert.equal(parse('').state.dataset, 'multi-mnist');
  assert.doesNotMatch(trainQuery(parse('').state).toString(), /dataset/, 'the default stays out of the URL');
  const { state, problems } = parse('model=lif-fc&dataset=multi-fashion-mnist&batch=32');
  assert.deepEqual(problems, []);
  assert.equal(trainJob(state).config.dataset, 'multi-fashion-mnist');
  assert.match(trainCommand(state), /--model lif-fc --dataset multi-fashion-mnist .*--batch 32/);
  assert.deepEqual(parse(trainQuery(state).toString()).state, state);
});

test('bad values get one message each and keep their defaults', () => {
  const { state, problems } = parse('dataset=cifar&model=cnn&T=0&lr=2');
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems[0], /model=cnn is not a model the page trains/);
  assert.match(
    problems[1],
    /dataset=cifar is not a data set \(multi-fashion-mnist, multi-mnist, multi-fashion\)/,
  );
  assert.equal(state.dataset, 'multi-mnist');
  assert.equal(state.T, 15);
  assert.equal(state.lr, undefined);
});

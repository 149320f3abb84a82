// The neuron lab's URL state (src/playground/neuron-query.ts): parsing, the message for each value
// out of range, writing it back, and the `hhnet simulate` run it stands for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labCommand, labRequest, neuronQuery, parseNeuronQuery } from '../src/playground/neuron-query.js';

const parse = (q: string) => parseNeuronQuery(new URLSearchParams(q));

test('the issue example parses without problems and round-trips', () => {
  const q = 'page=neuron&model=hh&stimulus=constant&amplitude=10&duration=100&dt=0.01&integrator=rk4';
  const { state, problems } = parse(q);
  assert.deepEqual(problems, []);
  assert.deepEqual(state, {
    model: 'hh',
    stimulus: 'constant',
    options: { amplitude: 10 },
    duration: 100,
    dt: 0.01,
    integrator: 'rk4',
    neurons: 1,
    overlay: false,
  });
  assert.equal(neuronQuery(state).toString(), q);
  assert.equal(
    labCommand(state),
    'hhnet simulate --model hh --stimulus constant --amplitude 10 --duration 100 --dt 0.01 --integrator rk4',
  );
  assert.deepEqual(labRequest(state), {
    model: 'hh',
    stimulus: 'constant',
    stimulusOptions: { amplitude: 10 },
    neurons: 1,
    duration: 100,
    dt: 0.01,
    integrator: 'rk4',
    params: {},
  });
});

test('defaults: an empty query is hh, constant input, expeuler, the model’s own dt', () => {
  assert.deepEqual(parse('').problems, []);
  assert.equal(parse('').state.integrator, 'expeuler');
  assert.equal(parse('model=slif2hh').state.dt, 1);
  assert.equal(parse('model=lif-step').state.dt, 1);
});

test('every value out of range gets its own message and falls back to its default', () => {
  const { state, problems } = parse(
    'model=hh&stimulus=sine&period=-2&duty=3&amplitude=1e9&dt=2&duration=0&integrator=leapfrog&neurons=1.5&overlay=yes',
  );
  assert.equal(problems.length, 7, problems.join('\n'));
  assert.match(problems.join('\n'), /period=-2 is not a positive number/);
  assert.match(problems.join('\n'), /amplitude=1e9 is not a finite number of magnitude at most/);
  assert.match(problems.join('\n'), /dt=2 is not a step in ms above 0 and at most 1/);
  assert.match(problems.join('\n'), /duration=0 is not a duration/);
  assert.match(problems.join('\n'), /integrator=leapfrog is not an integrator/);
  assert.match(problems.join('\n'), /neurons=1\.5 is not an integer from 1 to 64/);
  assert.doesNotMatch(problems.join('\n'), /duty/, 'sine does not read duty: ignored');
  assert.match(parse('overlay=yes').problems[0], /overlay=yes is not 1 or 0/);
  assert.deepEqual(state.options, {});
  assert.equal(state.dt, 0.01);
  assert.equal(state.duration, 100);
  assert.equal(state.integrator, 'expeuler');
  assert.match(parse('model=nosuch').problems[0], /model=nosuch is not a model \(hh, hh-modern/);
  assert.match(parse('stimulus=noise').problems[0], /stimulus=noise is not a stimulus/);
  assert.match(
    parse('model=slif2hh&dt=0.5').problems[0],
    /dt=0\.5 is not 1 ms \(slif2hh is defined in discrete/,
  );
  assert.match(parse('amplitude=10abc').problems[0], /amplitude=10abc/);
});

test('a run too long for a page is refused', () => {
  const { state, problems } = parse('duration=10000&dt=0.001');
  assert.match(problems[0], /10000000 steps, more than a page runs/);
  assert.equal(state.duration, 100);
});

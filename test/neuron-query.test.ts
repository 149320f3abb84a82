// The neuron lab's URL state (src/playground/neuron-query.ts): parsing, the message for each value
// out of range, writing it back, and the `hhnet simulate` run it stands for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fiCurrents,
  labCommand,
  labRequest,
  neuronQuery,
  paramRange,
  parseNeuronQuery,
} from '../src/playground/neuron-query.js';
import { declaredModel } from '../src/neurons/catalog.js';
import { modelNames } from '../src/sim/registry.js';

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
    params: {},
    fi: null,
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

test('model parameters: param.NAME in the URL is --param NAME=VALUE, checked against the declaration', () => {
  const q = 'model=izhikevich&param.a=0.1&param.d=2';
  const { state, problems } = parse(q);
  assert.deepEqual(problems, []);
  assert.deepEqual(state.params, { a: 0.1, d: 2 });
  assert.deepEqual(labRequest(state).params, { a: 0.1, d: 2 });
  assert.match(labCommand(state), / --param a=0\.1,d=2$/);
  assert.deepEqual(parse(neuronQuery(state).toString()).state, state, 'round trip');

  const unknown = parse('model=izhikevich&param.gNa=3&param.a=x');
  assert.equal(unknown.problems.length, 2, unknown.problems.join('\n'));
  assert.match(
    unknown.problems[0],
    /param\.gNa: izhikevich has no parameter "gNa" \(its parameters: a = 0\.02/,
  );
  assert.match(unknown.problems[1], /param\.a=x: .*parameter a must be a finite number/);
  assert.deepEqual(unknown.state.params, {}, 'bad values keep their defaults');
});

test('a parameter outside its declared range gets the declaration’s message', () => {
  const decl = declaredModel('slif2hh');
  assert.ok(decl);
  const bounded = decl.params.find((p) => decl.declaration.params[p].min !== undefined);
  assert.ok(bounded, 'slif2hh declares a bounded parameter');
  const min = decl.declaration.params[bounded].min as number;
  const { problems, state } = parse(`model=slif2hh&param.${bounded}=${min - 1}`);
  assert.equal(problems.length, 1);
  assert.match(problems[0], new RegExp(`parameter ${bounded} must be ≥ ${min}`));
  assert.deepEqual(state.params, {});
});

test('every declared parameter of every model gets a slider range holding its default', () => {
  for (const model of modelNames()) {
    const decl = declaredModel(model);
    if (!decl) continue;
    for (const name of decl.params) {
      const { lo, hi, step } = paramRange(model, name);
      const d = decl.defaults[name];
      assert.ok(lo < hi && step > 0, `${model}.${name}: [${lo}, ${hi}]`);
      assert.ok(lo <= d && d <= hi, `${model}.${name}: default ${d} in [${lo}, ${hi}]`);
    }
  }
});

test('fi=FROM:TO:POINTS asks for an F–I curve of evenly spaced constant currents', () => {
  const { state, problems } = parse('model=hh&fi=0:20:5');
  assert.deepEqual(problems, []);
  assert.deepEqual(state.fi, { from: 0, to: 20, points: 5 });
  assert.deepEqual(fiCurrents(state.fi), [0, 5, 10, 15, 20]);
  assert.match(neuronQuery(state).toString(), /&fi=0%3A20%3A5$/);
  for (const bad of ['20:0:5', '0:20:1', '0:20:2.5', '0:20:1000', '0:x:5', '0:20']) {
    const r = parse(`model=hh&fi=${bad}`);
    assert.equal(r.problems.length, 1, bad);
    assert.match(r.problems[0], /is not FROM:TO:POINTS/);
    assert.equal(r.state.fi, null);
  }
});

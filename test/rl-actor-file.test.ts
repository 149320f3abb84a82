// Actor files read from bytes (what the browser's control page loads) and the step-by-step
// episode it runs: the shipped actor's record, PolicyEpisode ≡ evaluatePolicy (returns and
// lengths, with and without observation noise, balanced and falling), the raster's spike trains
// average to the actor's rates, and the messages for files that are not an actor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/tensor/autograd.js';
import { readActorFile } from '../src/rl/actor-record.js';
import { buildAgent } from '../src/rl/agent.js';
import { evaluatePolicy } from '../src/rl/evaluate.js';
import { MujocoEnv } from '../src/rl/mujoco-env.js';
import { makeEnv } from '../src/rl/pendulums.js';
import { PolicyEpisode } from '../src/rl/policy-episode.js';
import { SoftActorCritic } from '../src/rl/sac.js';
import { encodeSafetensors } from '../src/io/safetensors-format.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { buildModel, modelFileBytes } from '../src/train/step.js';

const SHIPPED = fileURLToPath(
  new URL('../../assets/checkpoints/pendulum-hh/model.safetensors', import.meta.url),
);

describe('actor files and PolicyEpisode', () => {
  const bytes = new Uint8Array(readFileSync(SHIPPED));
  const record = readActorFile(bytes, 'model.safetensors');
  let env: MujocoEnv;
  let trained: SoftActorCritic;
  let untrained: SoftActorCritic;

  before(async () => {
    env = await makeEnv(record.config.env);
    trained = buildAgent(record.config, env);
    trained.actor.loadStateDict(record.tensors, 'model.safetensors');
    untrained = buildAgent(record.config, env);
  });
  after(() => env.close());

  it('reads the shipped actor: an hh actor on the inverted pendulum', () => {
    assert.equal(record.config.env, 'inverted-pendulum');
    assert.equal(record.config.model, 'hh');
    assert.equal(record.step, 30000);
  });

  for (const [name, stateNoise, seed] of [
    ['trained', 0, 12345],
    ['trained', 0.05, 7],
    ['untrained', 0, 3],
  ] as const) {
    it(`a ${name} actor's episode (noise ${stateNoise}, seed ${seed}) is evaluatePolicy's`, () => {
      const agent = name === 'trained' ? trained : untrained;
      const opts = { seed, stateNoise, padding: record.config.padding };
      const episode = new PolicyEpisode(agent, env, opts);
      while (!episode.done) episode.step();
      const r = evaluatePolicy(agent, env, { ...opts, episodes: 1 });
      assert.equal(episode.return, r.meanReturn);
      assert.equal(episode.length, r.meanLength);
      assert.equal(episode.terminated, episode.length < env.maxEpisodeSteps);
      if (name === 'untrained') assert.ok(episode.length < 1000, 'a random actor drops the pole');
      else assert.equal(episode.return, 1000, 'the shipped actor balances');
      assert.throws(() => episode.step(), /the episode has ended/);
    });
  }

  it("the raster's spike trains average to the rates the actor acts on", () => {
    const episode = new PolicyEpisode(trained, env, { seed: 1, stateNoise: 0, padding: 'zero' });
    for (let i = 0; i < 5; i++) episode.step();
    const { actor } = trained;
    const trains = noGrad(() => actor.spikeTrains(episode.frames, 1));
    const rates = noGrad(() => actor.features(episode.frames.slice(), 1));
    assert.ok(trains);
    assert.deepEqual(trains.shape, [actor.T, 1, actor.featureSize]);
    let spikes = 0;
    for (let i = 0; i < actor.featureSize; i++) {
      let sum = 0;
      for (let t = 0; t < actor.T; t++) sum += trains.data[t * actor.featureSize + i];
      spikes += sum;
      assert.ok(Math.abs(sum / actor.T - rates.data[i]) < 1e-6, `neuron ${i}`);
    }
    assert.ok(spikes > 0);
  });

  it('says what is wrong with a file that is not an actor', () => {
    assert.throws(
      () => readActorFile(new TextEncoder().encode('hello, world'), 'notes.txt'),
      /^SafetensorsError: notes\.txt: header length \d+ exceeds the file size/,
    );
    assert.throws(
      () => readActorFile(bytes.subarray(0, bytes.length - 100), 'cut'),
      /^SafetensorsError: cut: /,
    );
    const cfg = resolveTrainConfig({ model: 'lif-fc', dataset: 'multi-mnist', epochs: 1 });
    assert.throws(
      () => readActorFile(modelFileBytes(buildModel(cfg), cfg, 0), 'mt'),
      /mt: a model from `hhnet train multitask` \(lif-fc on multi-mnist\), not an actor from `hhnet train rl`/,
    );
    assert.throws(
      () => readActorFile(encodeSafetensors(new Map(), {}), 'bare'),
      /bare: no 'hhnet' entry in the metadata \(is this the output of `hhnet train rl`\?\)/,
    );
    const badConfig = encodeSafetensors(new Map(), {
      hhnet: JSON.stringify({ config: { env: 'cartpole' } }),
    });
    assert.throws(() => readActorFile(badConfig, 'odd'), /odd \(metadata\): invalid RL configuration — env/);
  });
});

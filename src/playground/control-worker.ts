/**
 * The control page's engine (bundled as control-worker.js, a worker of its own so that MuJoCo, the
 * RL modules and zod load only with that page): loads an actor from a model.safetensors of
 * `hhnet train rl`, builds its environment on MuJoCo's WebAssembly build (fetched on first use) and
 * runs episodes step by step as `hhnet play` does, reporting every step with the actor's spikes.
 */
import { noGrad } from '../tensor/autograd.js';
import { readActorFile } from '../rl/actor-record.js';
import { buildAgent } from '../rl/agent.js';
import { RlConfig } from '../rl/config.js';
import { preloadMujocoAssets } from '../rl/mujoco-platform.browser.js';
import { makeEnv } from '../rl/pendulums.js';
import { PolicyEpisode } from '../rl/policy-episode.js';
import { SoftActorCritic } from '../rl/sac.js';
import type { ActorJob, ActorResult, ControlJob, ControlResult, JobEvent } from './protocol.js';
import { serveWorker } from './worker-backend.js';

/** The MJCF models of the environments an actor may have been trained on. */
const MODEL_FILES = ['inverted_pendulum.xml', 'inverted_double_pendulum.xml'];

type Environment = Awaited<ReturnType<typeof makeEnv>>;

/** The loaded actor and its environment; a file that fails its checks leaves the previous one. */
let current: { config: RlConfig; agent: SoftActorCritic; env: Environment } | null = null;
let stopRequested = false;

async function loadActor(job: ActorJob): Promise<ActorResult> {
  const { config, step, tensors } = readActorFile(job.bytes, job.name);
  const env = current?.config.env === config.env ? current.env : await makeEnv(config.env);
  try {
    const agent = buildAgent(config, env);
    agent.actor.loadStateDict(tensors, job.name);
    if (current && current.env !== env) current.env.close();
    current = { config, agent, env };
  } catch (err) {
    if (current?.env !== env) env.close();
    throw err;
  }
  const { actor } = current.agent;
  return {
    kind: 'actor-loaded',
    name: job.name,
    env: config.env,
    model: config.model,
    trainedSteps: step,
    trainingSeed: config.seed,
    stateNoise: config.stateNoise,
    neurons: actor.neurons ? actor.featureSize : 0,
    T: actor.T,
  };
}

/** Lets queued messages (a stop request) in between two steps. */
interface Port {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
}
const channel = new MessageChannel() as unknown as { port1: Port; port2: Port };
function pause(ms: number): Promise<void> {
  if (ms > 0) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

async function control(job: ControlJob, report: (e: JobEvent) => void): Promise<ControlResult> {
  if (!current) throw new Error('no actor is loaded');
  const { agent, env, config } = current;
  const episode = new PolicyEpisode(agent, env, {
    seed: job.seed,
    stateNoise: config.stateNoise,
    padding: config.padding,
  });
  stopRequested = false;
  const started = performance.now();
  while (!episode.done) {
    // The raster: the spike trains behind this step's action (the actor's rate is their mean).
    const trains = noGrad(() => agent.actor.spikeTrains(episode.frames, 1));
    const s = episode.step();
    report({
      kind: 'frame',
      step: episode.length,
      qpos: env.qpos(),
      observation: Array.from(s.observation),
      action: Array.from(s.action),
      reward: s.reward,
      return: episode.return,
      spikes: trains ? Uint8Array.from(trains.data) : new Uint8Array(0),
    });
    const due = job.speed > 0 ? (episode.length * env.stepSeconds * 1000) / job.speed : 0;
    await pause(started + due - performance.now());
    if (stopRequested && !episode.done) break;
  }
  return {
    kind: 'controlled',
    return: episode.return,
    length: episode.length,
    terminated: episode.terminated,
    stopped: !episode.done,
  };
}

serveWorker({
  url: import.meta.url,
  prepare: () => preloadMujocoAssets(MODEL_FILES),
  onStop: () => {
    stopRequested = true;
  },
  run: async (job, report) => {
    if (job.kind === 'actor') return { id: job.id, ...(await loadActor(job)) };
    if (job.kind === 'control') return { id: job.id, ...(await control(job, report)) };
    throw new Error(`the control engine does not run '${job.kind}' jobs`);
  },
});

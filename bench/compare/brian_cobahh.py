#!/usr/bin/env python3
"""Brian2 side of `npm run bench:compare`: the COBAHH network (Brette et al. 2007, benchmark 3).

Brette et al. 2007, J Comput Neurosci 23:349, benchmark 3: N Traub-Miles Hodgkin-Huxley point
neurons (a patch of 20,000 um2) with conductance-based exponential synapses, randomly connected.
Units: mV, ms, pF, nS, pA.

  Cm = 200 pF, gl = 10 nS, El = -60 mV, gNa = 20,000 nS, ENa = 50 mV, gK = 6,000 nS,
  EK = -90 mV, VT = -63 mV;
  Cm dv/dt = gl (El - v) - gNa m^3 h (v - ENa) - gK n^4 (v - EK) + ge (Ee - v) + gi (Ei - v),
  dx/dt = alpha_x (1 - x) - beta_x x for x = m, h, n, with u = v - VT (mV) and rates in 1/ms:
    alpha_m = 0.32 (13 - u) / (exp((13 - u)/4) - 1) = 1.28 / exprel((13 - u)/4),
    beta_m  = 0.28 (u - 40) / (exp((u - 40)/5) - 1) = 1.4 / exprel((u - 40)/5),
    alpha_h = 0.128 exp((17 - u)/18),          beta_h = 4 / (1 + exp((40 - u)/5)),
    alpha_n = 0.032 (15 - u) / (exp((15 - u)/5) - 1) = 0.16 / exprel((15 - u)/5),
    beta_n  = 0.5 exp((10 - u)/40)
  (exprel(x) = (e^x - 1)/x, so the removable singularities are handled);
  dge/dt = -ge/taue, dgi/dt = -gi/taui, taue = 5 ms, taui = 10 ms, Ee = 0 mV, Ei = -80 mV.

Network: one NeuronGroup of N neurons; the first 80% (floor(4N/5)) are excitatory, the rest
inhibitory. Every excitatory neuron connects to every neuron with probability p
(`connect(p=p)`, autapses allowed), each spike adding we = 6 nS to the target's ge; every
inhibitory neuron likewise, adding wi = 67 nS to gi. No synaptic delay. Spike: threshold
`v > -20 mV` with a 3 ms refractory period (which only blocks re-detection; there is no reset).
Integration: exponential Euler, dt 0.1 ms by default, 1000 ms by default.

Initial state, drawn per neuron: v = El + (5 randn - 5) mV, ge = (1.5 randn + 4) * 10 nS,
gi = (12 randn + 20) * 10 nS; the gates m, h, n start at their steady state alpha/(alpha + beta)
evaluated at that neuron's own initial v (assigned after v, as string expressions).

Seeds: `--seed S` calls Brian2's `seed(S)` before anything random is created, which seeds numpy
and the random generators of the generated code. Connectivity and initial values are therefore
reproducible per target (and, for cpp_standalone, per OpenMP thread count: each thread has its
own stream, seeded S + thread index). The same seed need not give the same network on different
targets (with Brian2 2.5.1, cython and single-threaded cpp_standalone happened to give identical
spikes at N = 4000, seed 1; OpenMP runs do not).

Targets:
  numpy           Brian2 runtime mode, generated numpy code
  cython          Brian2 runtime mode, generated and compiled Cython code
  cpp_standalone  a generated C++ project, compiled, then run as a separate binary (default)

Timing:
- `seconds` is Brian2's own measurement of the simulation loop (`device._last_run_time`), which
  excludes code generation and compilation for every target.
  - runtime targets: a short untimed warm-up run first (code generation and, for cython,
    compilation into Brian2's on-disk cache), then store/restore back to the initial state and
    the timed run of the full duration;
  - cpp_standalone: the project is generated and compiled with `device.build(run=False)`, then
    the binary is run once; the binary measures its own main loop (results/last_run_info.txt).
    `binarySeconds` is the whole `device.run` (binary start, connectivity and initial values,
    the loop, writing results).
- `wallSeconds` (time.perf_counter) is network construction plus simulation:
  - runtime targets: creating the groups and synapses, connecting and setting initial values
    (all done eagerly in Python; for cython on a cold cache this includes compiling the
    connect and initialisation code, tens of seconds), plus the whole timed `net.run` call
    (including its own code generation / cache look-up); the warm-up run and store/restore are
    excluded;
  - cpp_standalone: creating the objects in Python, `device.build` (generating the C++
    project and running make) and `device.run` (the binary), minus the time Brian2 records for
    make (and make clean). Compilation is thus always excluded, even when make has work to do
    (a new --seed changes main.cpp, a new --openmp-threads the makefile); it is reported
    separately as `compileSeconds`.

Output: exactly one JSON line on stdout (Brian2's warnings go to stderr). With --record-spikes
FILE, the spikes are also written to FILE as JSON: {"i": [...], "t": [... ms], ...}.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time


# The model in Brian2's equation syntax (constants come from the namespace).
EQUATIONS = """
dv/dt = (gl*(El - v) - gNa*m**3*h*(v - ENa) - gK*n**4*(v - EK) + ge*(Ee - v) + gi*(Ei - v)) / Cm : volt
dm/dt = alpham*(1 - m) - betam*m : 1
dh/dt = alphah*(1 - h) - betah*h : 1
dn/dt = alphan*(1 - n) - betan*n : 1
dge/dt = -ge/taue : siemens
dgi/dt = -gi/taui : siemens
u = v - VT : volt
alpham = 1.28/exprel((13*mV - u)/(4*mV)) / ms : Hz
betam = 1.4/exprel((u - 40*mV)/(5*mV)) / ms : Hz
alphah = 0.128*exp((17*mV - u)/(18*mV)) / ms : Hz
betah = 4/(1 + exp((40*mV - u)/(5*mV))) / ms : Hz
alphan = 0.16/exprel((15*mV - u)/(5*mV)) / ms : Hz
betan = 0.5*exp((10*mV - u)/(40*mV)) / ms : Hz
"""


def cv_isi(trains):
    """Mean over neurons with >= 3 spikes of std(ISI)/mean(ISI) (population std, ddof=0)."""
    import numpy as np

    cvs = []
    for t in trains:
        if len(t) >= 3:
            isi = np.diff(np.sort(np.asarray(t, dtype=float)))
            mean = isi.mean()
            if mean > 0:
                cvs.append(isi.std() / mean)
    return (float(np.mean(cvs)) if cvs else None), len(cvs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", default="cpp_standalone", choices=["numpy", "cython", "cpp_standalone"])
    p.add_argument("--neurons", type=int, default=4000)
    p.add_argument("--duration", type=float, default=1000.0, help="ms")
    p.add_argument("--dt", type=float, default=0.1, help="ms")
    p.add_argument("--p", type=float, default=0.02, help="connection probability")
    p.add_argument("--seed", type=int, default=1, help="Brian2 seed (numpy and generated code)")
    p.add_argument("--warmup-steps", type=int, default=20, help="runtime targets: untimed steps first")
    p.add_argument("--openmp-threads", type=int, default=0,
                   help="cpp_standalone: OpenMP threads (0, Brian2's default: single-threaded code)")
    p.add_argument("--build-dir", default=None,
                   help="cpp_standalone project directory (reused between runs so make skips "
                        "compilation); default: <tmp>/brian_cobahh_standalone")
    p.add_argument("--record-spikes", default=None, metavar="FILE",
                   help="also write spike indices and times (ms) to FILE as JSON")
    args = p.parse_args()
    if args.neurons < 1:
        p.error("--neurons must be positive")
    if not 0 <= args.p <= 1:
        p.error("--p must lie in [0, 1]")
    if args.openmp_threads < 0:
        p.error("--openmp-threads must be >= 0")

    # Brian2 logs to stderr and to a log file; keep stdout for the JSON line.
    import numpy as np
    import brian2 as b2
    from brian2 import (NeuronGroup, Synapses, SpikeMonitor, Network, defaultclock,
                        mV, ms, pF, nS)

    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    standalone = args.target == "cpp_standalone"
    if standalone:
        build_dir = os.path.abspath(
            args.build_dir or os.path.join(tempfile.gettempdir(), "brian_cobahh_standalone"))
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = args.openmp_threads
    else:
        b2.prefs.codegen.target = args.target

    b2.seed(args.seed)
    defaultclock.dt = args.dt * ms
    namespace = {
        "Cm": 200 * pF, "gl": 10 * nS, "El": -60 * mV, "gNa": 20000 * nS, "ENa": 50 * mV,
        "gK": 6000 * nS, "EK": -90 * mV, "VT": -63 * mV,
        "taue": 5 * ms, "taui": 10 * ms, "Ee": 0 * mV, "Ei": -80 * mV,
        "we": 6 * nS, "wi": 67 * nS,
    }
    n_total = args.neurons
    n_exc = (4 * n_total) // 5
    duration = args.duration * ms
    steps = int(round(args.duration / args.dt))

    t_construct = time.perf_counter()
    group = NeuronGroup(n_total, EQUATIONS, method="exponential_euler", threshold="v > -20*mV",
                        refractory=3 * ms, namespace=namespace)
    exc = group[:n_exc]
    inh = group[n_exc:]
    group.v = "El + (5*randn() - 5)*mV"
    group.ge = "(1.5*randn() + 4)*10*nS"
    group.gi = "(12*randn() + 20)*10*nS"
    group.m = "alpham/(alpham + betam)"
    group.h = "alphah/(alphah + betah)"
    group.n = "alphan/(alphan + betan)"
    syn_e = Synapses(exc, group, on_pre="ge += we", namespace=namespace)
    syn_e.connect(p=args.p)
    syn_i = Synapses(inh, group, on_pre="gi += wi", namespace=namespace)
    syn_i.connect(p=args.p)
    spikes = SpikeMonitor(group, record=True)
    net = Network(group, syn_e, syn_i, spikes)
    construct_seconds = time.perf_counter() - t_construct

    binary_seconds = None
    compile_seconds = None
    if standalone:
        t0 = time.perf_counter()
        net.run(duration)
        b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
        build_seconds = time.perf_counter() - t0
        compile_seconds = sum(b2.device.timers["compile"].get(k) or 0.0 for k in ("clean", "make"))
        t1 = time.perf_counter()
        b2.device.run(build_dir, with_output=False, run_args=[])
        run_wall = time.perf_counter() - t1
        binary_seconds = b2.device.timers.get("run_binary")
        seconds = b2.device._last_run_time
        wall_seconds = construct_seconds + build_seconds - compile_seconds + run_wall
        setup_seconds = build_seconds
        timing = ("seconds: the binary's own main-loop time (results/last_run_info.txt); "
                  "wallSeconds: Python object creation + device.build + device.run, minus make")
        threads = max(1, args.openmp_threads)
    else:
        net.store("initial")
        t0 = time.perf_counter()
        net.run(args.warmup_steps * args.dt * ms)  # code generation (+ Cython compilation) here
        setup_seconds = time.perf_counter() - t0
        net.restore("initial")
        t1 = time.perf_counter()
        net.run(duration)
        run_wall = time.perf_counter() - t1
        seconds = b2.device._last_run_time
        wall_seconds = construct_seconds + run_wall
        timing = ("seconds: Brian2's main-loop time of net.run after a warm-up run; "
                  "wallSeconds: construction (incl. connect, initial values) + the timed net.run")
        threads = 1

    n_syn = int(len(syn_e)) + int(len(syn_i))
    idx = np.asarray(spikes.i[:], dtype=np.int64)
    times_ms = np.asarray(spikes.t[:] / ms, dtype=float)
    n_spikes = int(idx.size)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(n_total + 1))
    trains = [times_ms[order[bounds[k]:bounds[k + 1]]] for k in range(n_total)]
    cv, cv_neurons = cv_isi(trains)
    mean_rate = n_spikes / n_total / (args.duration / 1000.0)

    if args.record_spikes:
        with open(args.record_spikes, "w") as f:
            json.dump({"tool": "brian2", "target": args.target, "seed": args.seed,
                       "neurons": n_total, "duration": args.duration, "dt": args.dt, "p": args.p,
                       "i": idx.tolist(), "t": times_ms.tolist()}, f)

    print(json.dumps({
        "tool": "brian2",
        "model": "cobahh",
        "target": args.target,
        "brian2": b2.__version__,
        "python": platform.python_version(),
        "neurons": n_total,
        "excitatory": n_exc,
        "inhibitory": n_total - n_exc,
        "duration": args.duration,
        "dt": args.dt,
        "steps": steps,
        "seed": args.seed,
        "p": args.p,
        "synapses": n_syn,
        "spikes": n_spikes,
        "meanRateHz": mean_rate,
        "cvIsi": cv,
        "cvIsiNeurons": cv_neurons,
        "seconds": seconds,
        "wallSeconds": wall_seconds,
        "binarySeconds": binary_seconds,
        "compileSeconds": compile_seconds,
        "setupSeconds": setup_seconds,
        "constructSeconds": construct_seconds,
        "openmpThreads": args.openmp_threads if standalone else None,
        "threads": threads,
        "timing": timing,
    }))


if __name__ == "__main__":
    sys.exit(main())

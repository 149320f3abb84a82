#!/usr/bin/env python3
"""Brian2 side of `npm run bench:compare`: a population of full Hodgkin-Huxley neurons.

The same work as `hhnet bench sim` (src/experiments/bench-sim.ts with the `hh` model of
src/neurons/hh.ts, spec 2.1): N independent HH neurons in the shifted convention (rest 0 mV),
C = 1 uF/cm2, gNa 120, gK 36, gL 0.3 mS/cm2, ENa 115, EK -12, EL 10.613 mV, a constant input
current of 10 uA/cm2, started from the resting state, integrated with exponential Euler at
dt = 0.01 ms for 100 ms. A spike is an upward crossing of 70 mV (threshold + refractory
condition `v > 70 mV`, so a neuron counts once per crossing). Per-area units are written as
absolute ones (uF, mS, uA): only their ratios enter the equations.

Targets:
  numpy           Brian2 runtime mode, generated numpy code
  cython          Brian2 runtime mode, generated and compiled Cython code
  cpp_standalone  a generated C++ project, compiled, then run as a separate binary

Timing: the reported `seconds` is Brian2's own measurement of the simulation loop
(`device._last_run_time`), which excludes code generation and compilation for every target.
- runtime targets: a short untimed warm-up run first (it triggers code generation and, for
  cython, compilation into Brian2's on-disk cache), then store/restore back to the initial state
  and the timed run of the full duration;
- cpp_standalone: the project is generated and compiled with `device.build(run=False)`
  (make recompiles nothing when the generated code is unchanged, so repeated invocations with the
  same --build-dir skip compilation), then the binary is run once; the binary measures its own
  main loop and writes it to results/last_run_info.txt. `binarySeconds` adds the binary's start,
  array setup and result writing (the whole `device.run`).

Output: exactly one JSON line on stdout (Brian2's warnings go to stderr).
"""

import argparse
import json
import math
import os
import platform
import sys
import time


def vtrap(x):
    """x / (e^x - 1), continuous at x = 0 (as hhnet's vtrap)."""
    return 1 - x / 2 if abs(x) < 1e-6 else x / math.expm1(x)


def resting_state():
    """HH's resting state with hhnet's method (src/neurons/hh.ts restingState): bisection on
    the steady-state current within +-30 mV, gates at their steady state there."""
    gna, gk, gl, ena, ek, el = 120.0, 36.0, 0.3, 115.0, -12.0, 10.613

    def gates(v):
        an, bn = 0.1 * vtrap((10 - v) / 10), 0.125 * math.exp(-v / 80)
        am, bm = vtrap((25 - v) / 10), 4 * math.exp(-v / 18)
        ah, bh = 0.07 * math.exp(-v / 20), 1 / (math.exp((30 - v) / 10) + 1)
        return am / (am + bm), ah / (ah + bh), an / (an + bn)

    def current(v):
        m, h, n = gates(v)
        return gna * m**3 * h * (v - ena) + gk * n**4 * (v - ek) + gl * (v - el)

    lo, hi = -30.0, 30.0
    for _ in range(200):
        if hi - lo <= 1e-13:
            break
        mid = 0.5 * (lo + hi)
        if current(lo) * current(mid) <= 0:
            hi = mid
        else:
            lo = mid
    v = 0.5 * (lo + hi)
    m, h, n = gates(v)
    return v, m, h, n


# The model in Brian2's equation syntax. exprel(x) = (e^x - 1)/x, so
# 0.01 (10 - v)/(exp((10 - v)/10) - 1) = 0.1/exprel((10 - v)/10) and
# 0.1 (25 - v)/(exp((25 - v)/10) - 1) = 1/exprel((25 - v)/10), with the singularities handled.
EQUATIONS = """
dv/dt = (I - gNa*m**3*h*(v - ENa) - gK*n**4*(v - EK) - gL*(v - EL)) / C : volt
dm/dt = alpham*(1 - m) - betam*m : 1
dh/dt = alphah*(1 - h) - betah*h : 1
dn/dt = alphan*(1 - n) - betan*n : 1
alpham = 1/exprel((25*mV - v)/(10*mV)) / ms : Hz
betam = 4*exp(-v/(18*mV)) / ms : Hz
alphah = 0.07*exp(-v/(20*mV)) / ms : Hz
betah = 1/(exp((30*mV - v)/(10*mV)) + 1) / ms : Hz
alphan = 0.1/exprel((10*mV - v)/(10*mV)) / ms : Hz
betan = 0.125*exp(-v/(80*mV)) / ms : Hz
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", required=True, choices=["numpy", "cython", "cpp_standalone"])
    p.add_argument("--neurons", type=int, default=10000)
    p.add_argument("--duration", type=float, default=100.0, help="ms")
    p.add_argument("--dt", type=float, default=0.01, help="ms")
    p.add_argument("--current", type=float, default=10.0, help="uA/cm2")
    p.add_argument("--warmup-steps", type=int, default=20, help="runtime targets: untimed steps first")
    p.add_argument("--openmp-threads", type=int, default=0,
                   help="cpp_standalone: OpenMP threads (0, Brian2's default: single-threaded code)")
    p.add_argument("--build-dir", default=None,
                   help="cpp_standalone project directory (reused between runs so make skips compilation)")
    args = p.parse_args()

    # Brian2 logs to stderr and to a log file; keep stdout for the JSON line.
    import brian2 as b2
    from brian2 import NeuronGroup, SpikeMonitor, Network, defaultclock, mV, ms, uF, msiemens, uA

    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    standalone = args.target == "cpp_standalone"
    if standalone:
        build_dir = args.build_dir or os.path.join(os.getcwd(), "brian_cpp_standalone")
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = args.openmp_threads
    else:
        b2.prefs.codegen.target = args.target

    defaultclock.dt = args.dt * ms
    namespace = {
        "C": 1 * uF, "gNa": 120 * msiemens, "gK": 36 * msiemens, "gL": 0.3 * msiemens,
        "ENa": 115 * mV, "EK": -12 * mV, "EL": 10.613 * mV, "I": args.current * uA,
    }
    group = NeuronGroup(args.neurons, EQUATIONS, method="exponential_euler",
                        threshold="v > 70*mV", refractory="v > 70*mV", namespace=namespace)
    v0, m0, h0, n0 = resting_state()
    group.v = v0 * mV
    group.m = m0
    group.h = h0
    group.n = n0
    spikes = SpikeMonitor(group, record=True)
    net = Network(group, spikes)
    duration = args.duration * ms
    steps = int(round(args.duration / args.dt))

    binary_seconds = None
    if standalone:
        net.run(duration)
        t0 = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
        build_seconds = time.perf_counter() - t0
        b2.device.run(build_dir, with_output=False, run_args=[])
        binary_seconds = b2.device.timers.get("run_binary")
        seconds = b2.device._last_run_time
        timing = "binary's own main-loop time (results/last_run_info.txt); compilation excluded"
    else:
        net.store("initial")
        t0 = time.perf_counter()
        net.run(args.warmup_steps * args.dt * ms)  # code generation (+ Cython compilation) here
        build_seconds = time.perf_counter() - t0
        net.restore("initial")
        net.run(duration)
        seconds = b2.device._last_run_time
        timing = "Brian2's main-loop time of net.run after a warm-up run (code generation excluded)"

    n_spikes = int(spikes.num_spikes)
    print(json.dumps({
        "tool": "brian2",
        "target": args.target,
        "brian2": b2.__version__,
        "python": platform.python_version(),
        "neurons": args.neurons,
        "steps": steps,
        "dt": args.dt,
        "duration": args.duration,
        "seconds": seconds,
        "neuronStepsPerSec": args.neurons * steps / seconds,
        "spikes": n_spikes,
        "binarySeconds": binary_seconds,
        "openmpThreads": args.openmp_threads if standalone else None,
        "setupSeconds": build_seconds,
        "timing": timing,
    }))


if __name__ == "__main__":
    sys.exit(main())

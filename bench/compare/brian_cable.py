#!/usr/bin/env python3
"""Brian2 side of the cable checks: an HH axon's conduction velocity, Rallpack 3, ball-and-stick cells.

An independent solver for hhnet's `src/cable/` (docs/compartments.md): the same models written
with Brian2's SpatialNeuron, so that the numbers can be compared. Units: um, ms, mV, nA,
uF/cm2, ohm*cm, mS/cm2.

Modes (first argument):

  velocity    the axon of `hhnet cable velocity`: a uniform Cylinder (default 476 um x 30,000
              um, 600 compartments), Ri 35.4 ohm*cm, Cm 1 uF/cm2, HH 1952 in the shifted
              convention (rest 0 mV: gNa 120, gK 36, gL 0.3 mS/cm2, ENa 115, EK -12,
              EL 10.613 mV), rates scaled by phi = 3**((T - 6.3)/10) with T = 18.5 C; a point
              current of 20 uA * (d/476 um)**2 into the first compartment for 0.2 ms, the run
              lasting 1 + 3 ms per cm * sqrt(476 um/d). The velocity rule is velocity.ts's: the
              50 mV upward crossing time (linear in time between samples) at the two nodes
              around each of 21 points over the middle 60% of the axon, interpolated linearly
              in x between them, and the slope of the least-squares line x(t).
  rallpack3   Rallpack 3 (Bhalla, Bilitch & Bower 1992): 1 mm x 1 um, 1000 compartments,
              RA 100 ohm*cm, CM 1 uF/cm2, leak 1/RM = 1/40,000 ohm*cm2 at -65 mV, GNa 120 and
              GK 36 mS/cm2, ENa 50, EK -77 mV, the HH rates with the rest at -65 mV (6.3 C,
              unscaled), 0.1 nA into the first compartment for 250 ms; the 0 mV upward crossing
              times in the first and the last compartment.
  population  N ball-and-stick cells (soma a cylinder 20 x 20 um, one compartment; dendrite
              1000 x 1 um), HH (rest -65 mV, HH's own leak) everywhere, each with a current into
              its soma; for speed comparisons. Brian2 takes one morphology per SpatialNeuron, so
              the cells are N SpatialNeuron objects in one Network.

Integration: Brian2's SpatialNeuron solves the cable equation implicitly (its own tree solver;
the spike times converge at first order in dt in these runs, docs/compartments.md), the gates
advanced by exponential Euler (method="exponential_euler").

Targets: cpp_standalone (default: a generated C++ project, compiled, run as a binary), cython,
numpy (runtime modes). Timing: `seconds` is Brian2's own measurement of the simulation loop
(device._last_run_time: code generation and compilation excluded); `wallSeconds` adds building
the model in Python (and, for cpp_standalone, device.build and the binary's run, minus make).

Output: exactly one JSON line on stdout (Brian2's warnings go to stderr).
"""

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time

HH_RATES = """
am = 1/exprel((25*mV - u)/(10*mV))/ms : Hz
bm = 4*exp(-u/(18*mV))/ms : Hz
ah = 0.07*exp(-u/(20*mV))/ms : Hz
bh = 1/(exp((30*mV - u)/(10*mV)) + 1)/ms : Hz
an = 0.1/exprel((10*mV - u)/(10*mV))/ms : Hz
bn = 0.125*exp(-u/(80*mV))/ms : Hz
dm/dt = phi*(am*(1 - m) - bm*m) : 1
dh/dt = phi*(ah*(1 - h) - bh*h) : 1
dn/dt = phi*(an*(1 - n) - bn*n) : 1
"""


def equations(point_current):
    """HH membrane (current density Im, inward positive as Brian2 wants) plus a point current."""
    return ("""
Im = gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) + gL*(EL - v) : amp/meter**2
u = v - voff : volt
""" + HH_RATES + point_current)


def crossings(t, v, threshold):
    """Upward crossings v[i-1] < threshold <= v[i], times interpolated linearly (ms)."""
    out = []
    for i in range(1, len(v)):
        if v[i - 1] < threshold <= v[i]:
            out.append(t[i - 1] + (t[i] - t[i - 1]) * (threshold - v[i - 1]) / (v[i] - v[i - 1]))
    return out


def setup_device(b2, target, build_dir, name):
    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    if target == "cpp_standalone":
        # Brian2's default `make -j` (no limit) runs hundreds of compilers at once on a
        # population's generated files; one per core keeps a small machine usable.
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j%d" % (os.cpu_count() or 1)]
        d = os.path.abspath(build_dir or os.path.join(tempfile.gettempdir(), "brian_cable_" + name))
        b2.set_device("cpp_standalone", directory=d, build_on_run=False)
        return d
    b2.prefs.codegen.target = target
    return None


def run(b2, net, duration, build_dir, construct_seconds):
    """Runs the network; returns (seconds, wallSeconds, compileSeconds)."""
    if build_dir is not None:
        t0 = time.perf_counter()
        net.run(duration)
        b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
        build_seconds = time.perf_counter() - t0
        compile_seconds = sum(b2.device.timers["compile"].get(k) or 0.0 for k in ("clean", "make"))
        t1 = time.perf_counter()
        b2.device.run(build_dir, with_output=False, run_args=[])
        run_wall = time.perf_counter() - t1
        return (b2.device._last_run_time, construct_seconds + build_seconds - compile_seconds + run_wall,
                compile_seconds)
    t1 = time.perf_counter()
    net.run(duration)
    return b2.device._last_run_time, construct_seconds + time.perf_counter() - t1, None


def velocity(args, b2):
    from brian2 import (Cylinder, SpatialNeuron, StateMonitor, Network, defaultclock,
                        um, ms, mV, uA, uF, cm, msiemens, ohm)
    d, L = args.diameter, args.length
    N = args.compartments or max(10, round(L / 50))
    if d <= 0 or L <= 0 or args.dt <= 0 or N < 10:
        raise SystemExit("velocity: diameter, length, dt must be > 0 and compartments >= 10")
    dx = L / N
    xs = [L * (0.2 + 0.6 * k / 20) for k in range(21)]

    def below(x):
        return max(0, min(N - 2, math.floor(x / dx - 0.5)))

    nodes = sorted({j for x in xs for j in (below(x), below(x) + 1)})
    t_stop = 1 + (3 * L / 10000) * math.sqrt(476 / d)
    build_dir = setup_device(b2, args.target, args.build_dir, "velocity")
    defaultclock.dt = args.dt * ms
    ns = {
        "gNa": 120 * msiemens / cm**2, "gK": 36 * msiemens / cm**2, "gL": 0.3 * msiemens / cm**2,
        "ENa": 115 * mV, "EK": -12 * mV, "EL": 10.613 * mV, "voff": 0 * mV,
        "phi": 3 ** ((args.temperature - 6.3) / 10),
        "I0": 20 * uA * (d / 476) ** 2, "t_stim": 0.2 * ms,
    }
    t_construct = time.perf_counter()
    morpho = Cylinder(diameter=d * um, length=L * um, n=N)
    eqs = equations("I = I0*stim*int(t < t_stim) : amp (point current)\nstim : 1 (constant)\n")
    neuron = SpatialNeuron(morphology=morpho, model=eqs, Cm=1 * uF / cm**2, Ri=args.ri * ohm * cm,
                           method="exponential_euler", namespace=ns)
    neuron.v = 0 * mV
    neuron.stim[0] = 1  # (an index in the equations trips Brian2 2.5's standalone code)
    neuron.m = "am/(am + bm)"
    neuron.h = "ah/(ah + bh)"
    neuron.n = "an/(an + bn)"
    mon = StateMonitor(neuron, "v", record=nodes)
    net = Network(neuron, mon)
    construct = time.perf_counter() - t_construct
    seconds, wall, compile_s = run(b2, net, t_stop * ms, build_dir, construct)
    t = list(mon.t / ms)
    t_at = {}
    for k, node in enumerate(nodes):
        c = crossings(t, list(mon.v[k] / mV), 50.0)
        if c:
            t_at[node] = c[0]
    points = []
    for x in xs:
        k = below(x)
        if k not in t_at or k + 1 not in t_at:
            raise SystemExit(f"velocity: no spike reached {x:.0f} um within {t_stop:.1f} ms")
        t0, t1 = t_at[k], t_at[k + 1]
        points.append((x, t0 + (t1 - t0) * (x - (k + 0.5) * dx) / dx))
    mx = sum(p[0] for p in points) / len(points)
    mt = sum(p[1] for p in points) / len(points)
    sxt = sum((p[0] - mx) * (p[1] - mt) for p in points)
    stt = sum((p[1] - mt) ** 2 for p in points)
    return {
        "velocityMps": sxt / stt / 1000, "diameterUm": d, "lengthUm": L, "compartments": N,
        "dt": args.dt, "ri": args.ri, "temperatureC": args.temperature, "tStop": t_stop,
        "fittedPoints": len(points),
        "seconds": seconds, "wallSeconds": wall, "compileSeconds": compile_s,
    }


def rallpack3(args, b2):
    from brian2 import (Cylinder, SpatialNeuron, StateMonitor, Network, defaultclock,
                        um, ms, mV, nA, uF, cm, msiemens, ohm)
    N = args.compartments or 1000
    if N < 2 or args.dt <= 0 or args.duration <= 0:
        raise SystemExit("rallpack3: compartments >= 2, dt and duration > 0")
    build_dir = setup_device(b2, args.target, args.build_dir, "rallpack3")
    defaultclock.dt = args.dt * ms
    ns = {
        "gNa": 120 * msiemens / cm**2, "gK": 36 * msiemens / cm**2,
        "gL": 1 / (40000 * ohm * cm**2),
        "ENa": 50 * mV, "EK": -77 * mV, "EL": -65 * mV, "voff": -65 * mV, "phi": 1.0,
        "I0": 0.1 * nA,
    }
    t_construct = time.perf_counter()
    morpho = Cylinder(diameter=1 * um, length=1000 * um, n=N)
    eqs = equations("I = I0*stim : amp (point current)\nstim : 1 (constant)\n")
    neuron = SpatialNeuron(morphology=morpho, model=eqs, Cm=1 * uF / cm**2, Ri=100 * ohm * cm,
                           method="exponential_euler", namespace=ns)
    neuron.v = -65 * mV
    neuron.stim[0] = 1
    neuron.m = "am/(am + bm)"
    neuron.h = "ah/(ah + bh)"
    neuron.n = "an/(an + bn)"
    mon = StateMonitor(neuron, "v", record=[0, N - 1])
    net = Network(neuron, mon)
    construct = time.perf_counter() - t_construct
    seconds, wall, compile_s = run(b2, net, args.duration * ms, build_dir, construct)
    t = list(mon.t / ms)
    ends = [crossings(t, list(mon.v[k] / mV), 0.0) for k in range(2)]
    return {
        "compartments": N, "dt": args.dt, "duration": args.duration,
        "spikeTimes": ends, "spikes": [len(e) for e in ends],
        "seconds": seconds, "wallSeconds": wall, "compileSeconds": compile_s,
    }


def population(args, b2):
    from brian2 import (Cylinder, SpatialNeuron, SpikeMonitor, Network, defaultclock,
                        um, ms, mV, nA, uF, cm, msiemens, ohm)
    if args.cells < 1 or args.dt <= 0 or args.duration <= 0:
        raise SystemExit("population: cells >= 1, dt and duration > 0")
    n_dend = args.compartments or 50
    build_dir = setup_device(b2, args.target, args.build_dir, "population")
    defaultclock.dt = args.dt * ms
    ns = {
        "gNa": 120 * msiemens / cm**2, "gK": 36 * msiemens / cm**2, "gL": 0.3 * msiemens / cm**2,
        "ENa": 50 * mV, "EK": -77 * mV, "EL": -54.387 * mV, "voff": -65 * mV, "phi": 1.0,
        "I0": args.current * nA,
    }
    t_construct = time.perf_counter()
    objects = []
    monitors = []
    for _ in range(args.cells):
        morpho = Cylinder(diameter=20 * um, length=20 * um, n=1)
        morpho.dend = Cylinder(diameter=1 * um, length=1000 * um, n=n_dend)
        eqs = equations("I = I0*stim : amp (point current)\nstim : 1 (constant)\n")
        cell = SpatialNeuron(morphology=morpho, model=eqs, Cm=1 * uF / cm**2, Ri=100 * ohm * cm,
                             method="exponential_euler", namespace=ns,
                             threshold="v > 0*mV", threshold_location=0, refractory="v > 0*mV")
        cell.v = -65 * mV
        cell.stim[0] = 1
        cell.m = "am/(am + bm)"
        cell.h = "ah/(ah + bh)"
        cell.n = "an/(an + bn)"
        mon = SpikeMonitor(cell)
        objects += [cell, mon]
        monitors.append(mon)
    net = Network(*objects)
    construct = time.perf_counter() - t_construct
    seconds, wall, compile_s = run(b2, net, args.duration * ms, build_dir, construct)
    spikes = [int(m.num_spikes) for m in monitors]
    return {
        "cells": args.cells, "compartmentsPerCell": 1 + n_dend, "dt": args.dt,
        "duration": args.duration, "currentNa": args.current,
        "spikesPerCell": sum(spikes) / len(spikes),
        "seconds": seconds, "wallSeconds": wall, "compileSeconds": compile_s,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["velocity", "rallpack3", "population"])
    p.add_argument("--target", default="cpp_standalone", choices=["numpy", "cython", "cpp_standalone"])
    p.add_argument("--diameter", type=float, default=476.0, help="velocity: um")
    p.add_argument("--length", type=float, default=30000.0, help="velocity: um")
    p.add_argument("--compartments", type=int, default=None,
                   help="velocity: default 50 um each; rallpack3: 1000; population: dendrite, 50")
    p.add_argument("--dt", type=float, default=None,
                   help="ms (velocity 0.005, rallpack3 0.01, population 0.025)")
    p.add_argument("--ri", type=float, default=35.4, help="velocity: ohm*cm")
    p.add_argument("--temperature", type=float, default=18.5, help="velocity: C")
    p.add_argument("--duration", type=float, default=None, help="ms (rallpack3 250, population 100)")
    p.add_argument("--cells", type=int, default=10, help="population: number of cells")
    p.add_argument("--current", type=float, default=0.5, help="population: nA into each soma")
    p.add_argument("--build-dir", default=None, help="cpp_standalone project directory")
    args = p.parse_args()
    defaults = {"velocity": (0.005, None), "rallpack3": (0.01, 250.0), "population": (0.025, 100.0)}
    dt, duration = defaults[args.mode]
    args.dt = args.dt if args.dt is not None else dt
    args.duration = args.duration if args.duration is not None else duration

    import brian2 as b2
    out = {"velocity": velocity, "rallpack3": rallpack3, "population": population}[args.mode](args, b2)
    print(json.dumps({
        "tool": "brian2", "model": "cable-" + args.mode, "target": args.target,
        "brian2": b2.__version__, "python": platform.python_version(), **out,
    }))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PyTorch side of `npm run bench:compare`: one training step of hhnet's multi-task fc models.

The same work as `hhnet bench train` (src/experiments/bench-train.ts): a batch of random 36x36
images (integer pixel values 0-255, as stored), random labels for both tasks, then forward over
T steps, loss = sum of the two cross-entropies, backward (BPTT) and an Adam step
(lr 1e-4, weight decay 1e-5, torch.optim.Adam semantics). Each step is timed; the median is
reported after a few untimed warm-up steps.

The models follow hhnet's definitions (src/models/multitask.ts, src/nn/spiking.ts,
src/nn/spiking-layers.ts, src/nn/surrogate.ts; spec sections 2.3-2.5 and 3.1):

  hh-fc       1296 -> Linear 512 (weights x0.01 at init) -> 512 learning HH -> rate -> 50 -> 2x10
  lif-fc      1296 -> Linear 512 -> 512 LIF -> rate -> 50 -> 2x10
  slif2hh-fc  1296 -> Linear 1536 (3 x 512 input currents) -> 512 s-LIF2HH units (2048 spike
              trains) -> rate -> 50 -> 2x10

Two formulations of the time loop (the only difference between them):

  reference  the input projection Linear(1296 -> ...) is recomputed at every one of the T steps,
             as the original research code does (the static image is fed in T times);
  once       the projection is computed once and the same current is reused for all T steps
             (what hhnet does). Same values, same gradients, T-1 fewer matrix products.

Before timing, the script checks that both formulations give the same loss and the same
gradient on the same weights and input (an assertion; it exits non-zero if they differ).

Output: exactly one JSON line on stdout (everything else goes to stderr).
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGE_PIXELS = 36 * 36
MODELS = ("hh-fc", "lif-fc", "slif2hh-fc")
FORMULATIONS = ("reference", "once")


class SpikeRect(torch.autograd.Function):
    """Heaviside spike H(u - theta) with the rectangular surrogate 1{|u - theta| < width} (STBP).

    Forward: 1 where u > theta, else 0. Backward: the incoming gradient passed through where
    |u - theta| < width (height 1), zero elsewhere -- hhnet's 'rectangular' surrogate.
    """

    @staticmethod
    def forward(ctx, u, theta, width):
        x = u - theta
        ctx.save_for_backward(x)
        ctx.width = width
        return (x > 0).to(u.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        window = (x.abs() < ctx.width).to(grad_out.dtype)
        return grad_out * window, None, None


spike = SpikeRect.apply


class LearningHH(nn.Module):
    """The reference's trainable HH layer (spec 2.5), fully connected multi-task constants.

    Forward Euler with C = 1, gNa 120, gK 36, gL 0.3, ENa 115, EK -12, EL 10.6; v, n, m, h start
    at 0; the gates use per-neuron constant rates drawn U(0, 0.01) (not learnable, as in hhnet's
    default); dt 0.01; spike = H(v - 0.2) with the rectangular surrogate of width 0.3; no reset.
    At step t the membrane uses the gates from step t-1, then the gates advance (hhnet's order).
    The gate states are kept per sample ([B, N]) like the membrane, as a plain PyTorch layer
    would hold them.
    """

    C, G_NA, G_K, G_L = 1.0, 120.0, 36.0, 0.3
    E_NA, E_K, E_L = 115.0, -12.0, 10.6
    DT, THETA, WIDTH = 0.01, 0.2, 0.3

    def __init__(self, n):
        super().__init__()
        for name in ("alpha_n", "beta_n", "alpha_m", "beta_m", "alpha_h", "beta_h"):
            self.register_buffer(name, torch.rand(n) * 0.01)

    def run(self, current_at, T, batch, n):
        dt, k = self.DT, self.DT / self.C
        v = torch.zeros(batch, n)
        gn = torch.zeros(batch, n)
        gm = torch.zeros(batch, n)
        gh = torch.zeros(batch, n)
        total = 0
        for t in range(T):
            i_t = current_at(t)
            g_na = self.G_NA * gm**3 * gh
            g_k = self.G_K * gn**4
            ionic = g_na * (v - self.E_NA) + g_k * (v - self.E_K) + self.G_L * (v - self.E_L)
            v = v + k * (i_t - ionic)
            total = total + spike(v, self.THETA, self.WIDTH)
            gn, gm, gh = (
                gn + dt * (self.alpha_n * (1 - gn) - self.beta_n * gn),
                gm + dt * (self.alpha_m * (1 - gm) - self.beta_m * gm),
                gh + dt * (self.alpha_h * (1 - gh) - self.beta_h * gh),
            )
        return total / T


class LIF(nn.Module):
    """LIF (spec 2.4): mem = decay * mem * (1 - s_prev) + x; s = H(mem - theta).

    Fully connected constants: decay 0.2, theta 0.3, rectangular surrogate width 0.5. The reset
    factor is not detached (the surrogate gradient also flows through it), as in hhnet.
    """

    DECAY, THETA, WIDTH = 0.2, 0.3, 0.5

    def run(self, current_at, T, batch, n):
        mem = torch.zeros(batch, n)
        s = torch.zeros(batch, n)
        total = 0
        for t in range(T):
            mem = self.DECAY * mem * (1 - s) + current_at(t)
            s = spike(mem, self.THETA, self.WIDTH)
            total = total + s
        return total / T


class SLIF2HH(nn.Module):
    """s-LIF2HH units (spec 2.3), fully connected constants: decay 0.5, theta 2, width 0.4.

    Each unit: three input LIFs, each driven by its own block of the projection ([x1|x2|x3]), and a
    fourth LIF driven by sum_k |w_k| * mem_k (the three membranes after this step's charge).
    w is [N, 3], initialised U(0, 1), learnable; |w| keeps the combination non-negative. Output:
    the four spike trains' rates in blocks [s1|s2|s3|s4] (4N values per sample).
    """

    DECAY, THETA, WIDTH = 0.5, 2.0, 0.4

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(n, 3))

    def run(self, current_at, T, batch, n):
        d, th, wd = self.DECAY, self.THETA, self.WIDTH
        w = self.weight.abs()
        w1, w2, w3 = w[:, 0], w[:, 1], w[:, 2]
        m = [torch.zeros(batch, n) for _ in range(4)]
        s = [torch.zeros(batch, n) for _ in range(4)]
        total = [0, 0, 0, 0]
        for t in range(T):
            x1, x2, x3 = current_at(t).split(n, dim=1)
            m[0] = d * m[0] * (1 - s[0]) + x1
            m[1] = d * m[1] * (1 - s[1]) + x2
            m[2] = d * m[2] * (1 - s[2]) + x3
            m[3] = d * m[3] * (1 - s[3]) + (w1 * m[0] + w2 * m[1] + w3 * m[2])
            s = [spike(mk, th, wd) for mk in m]
            total = [a + b for a, b in zip(total, s)]
        return torch.cat(total, dim=1) / T


class FcNet(nn.Module):
    """1296 -> fc1 -> spiking neurons (mean rate over T) -> fc2 (-> 50) -> head1, head2 (50 -> 10)."""

    def __init__(self, model, T):
        super().__init__()
        self.T = T
        if model == "hh-fc":
            self.n, fc1_out, hidden, self.neurons = 512, 512, 512, LearningHH(512)
        elif model == "lif-fc":
            self.n, fc1_out, hidden, self.neurons = 512, 512, 512, LIF()
        elif model == "slif2hh-fc":
            self.n, fc1_out, hidden, self.neurons = 512, 3 * 512, 4 * 512, SLIF2HH(512)
        else:
            raise ValueError(f"unknown model {model!r} (available: {', '.join(MODELS)})")
        self.fc1 = nn.Linear(IMAGE_PIXELS, fc1_out)
        if model == "hh-fc":
            with torch.no_grad():
                self.fc1.weight.mul_(0.01)  # spec 2.5: input projection weights x0.01 at init
        self.fc2 = nn.Linear(hidden, 50)
        self.head1 = nn.Linear(50, 10)
        self.head2 = nn.Linear(50, 10)

    def forward(self, x, formulation):
        batch = x.shape[0]
        if formulation == "reference":
            # Recompute the projection at every time step (the research code's loop).
            def current_at(_t):
                return self.fc1(x)
        else:
            projected = self.fc1(x)

            def current_at(_t):
                return projected
        rate = self.neurons.run(current_at, self.T, batch, self.n)
        z = self.fc2(rate)
        return self.head1(z), self.head2(z)


def make_batch(batch, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (batch, IMAGE_PIXELS), generator=g).float()
    y1 = torch.randint(0, 10, (batch,), generator=g)
    y2 = torch.randint(0, 10, (batch,), generator=g)
    return x, y1, y2


def loss_of(net, x, y1, y2, formulation):
    o1, o2 = net(x, formulation)
    return F.cross_entropy(o1, y1) + F.cross_entropy(o2, y2)


def check_formulations(model, args):
    """Both formulations: same loss, same fc1 gradient, for the same weights and input."""
    torch.manual_seed(args.seed)
    net = FcNet(model, args.T)
    x, y1, y2 = make_batch(args.batch, args.seed + 1)
    out = {}
    for f in FORMULATIONS:
        net.zero_grad(set_to_none=True)
        loss = loss_of(net, x, y1, y2, f)
        loss.backward()
        out[f] = (loss.item(), net.fc1.weight.grad.clone())
    (l_ref, g_ref), (l_once, g_once) = out["reference"], out["once"]
    assert math.isfinite(l_ref), f"{model}: non-finite loss {l_ref}"
    assert abs(l_ref - l_once) <= 1e-5 * max(1.0, abs(l_ref)), (
        f"{model}: the formulations disagree: loss {l_ref} (reference) vs {l_once} (once)"
    )
    # The gradients differ only by float32 summation order (T products summed vs one product).
    diff = (g_ref - g_once).abs().max().item()
    scale = g_ref.abs().max().item()
    assert diff <= 1e-4 * scale + 1e-7, (
        f"{model}: the formulations disagree on the fc1 gradient (max |diff| {diff}, max |grad| {scale})"
    )
    return {"model": model, "lossReference": l_ref, "lossOnce": l_once,
            "maxGradDiff": diff, "maxGrad": scale}


def bench(model, formulation, args):
    torch.manual_seed(args.seed)
    net = FcNet(model, args.T)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, weight_decay=1e-5)
    x, y1, y2 = make_batch(args.batch, args.seed + 1)
    times = []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        loss = loss_of(net, x, y1, y2, formulation)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ms = (time.perf_counter() - t0) * 1e3
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"{model} ({formulation}) produced a non-finite loss")
        if step >= args.warmup:
            times.append(ms)
    return {"model": model, "formulation": formulation, "batch": args.batch, "T": args.T,
            "msPerStep": statistics.median(times), "samplesMs": times}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--formulations", default=",".join(FORMULATIONS))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--T", type=int, default=15)
    p.add_argument("--steps", type=int, default=10, help="timed steps (median reported)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="torch intra-op threads (default: the machine's core count)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-check", action="store_true", help="skip the formulation equivalence check")
    args = p.parse_args()

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    formulations = [f.strip() for f in args.formulations.split(",") if f.strip()]
    for m in models:
        if m not in MODELS:
            p.error(f"unknown model {m!r} (available: {', '.join(MODELS)})")
    for f in formulations:
        if f not in FORMULATIONS:
            p.error(f"unknown formulation {f!r} (available: {', '.join(FORMULATIONS)})")

    torch.set_num_threads(args.threads)
    checks = [] if args.no_check else [check_formulations(m, args) for m in models]
    results = [bench(m, f, args) for m in models for f in formulations]
    print(json.dumps({
        "tool": "torch",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "results": results,
        "checks": checks,
    }))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PyTorch side of the GEMM part of `npm run bench:compare`: the same products as `hhnet bench gemm`.

Each shape "MxNxK:AB" is C[m x n] = op(A) @ op(B) with op(A) m x k and op(B) k x n; A (B) is stored
transposed when its letter is T, and the product is taken on the transposed view, as hhnet's
Backend.gemm reads it (no copy is timed). Operands are uniform in [-0.5, 0.5) float32; each
product is timed alone after warm-up and the median is reported in ms and GFLOP/s (2*m*n*k).

Output: exactly one JSON line on stdout (everything else goes to stderr).
"""
import argparse
import json
import os
import platform
import re
import statistics
import sys
import time

import torch


def parse_shapes(text, error):
    shapes = []
    for entry in (e.strip() for e in text.split(",")):
        m = re.fullmatch(r"(\d+)x(\d+)x(\d+)(?::([NT])([NT]))?", entry, re.IGNORECASE)
        if not m or min(int(m.group(i)) for i in (1, 2, 3)) < 1:
            error(f"GEMM shape {entry!r}: expected MxNxK or MxNxK:AB with A, B each N or T")
        shapes.append((int(m.group(1)), int(m.group(2)), int(m.group(3)),
                       (m.group(4) or "N").upper() == "T", (m.group(5) or "N").upper() == "T"))
    return shapes


def bench(shape, repeats, warmup, generator):
    m, n, k, trans_a, trans_b = shape
    a = torch.rand(k, m, generator=generator) - 0.5 if trans_a else torch.rand(m, k, generator=generator) - 0.5
    b = torch.rand(n, k, generator=generator) - 0.5 if trans_b else torch.rand(k, n, generator=generator) - 0.5
    op_a = a.t() if trans_a else a
    op_b = b.t() if trans_b else b
    c = torch.empty(m, n)
    for _ in range(warmup):
        torch.matmul(op_a, op_b, out=c)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.matmul(op_a, op_b, out=c)
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    label = f"{m}x{n}x{k}:{'T' if trans_a else 'N'}{'T' if trans_b else 'N'}"
    return {"label": label, "m": m, "n": n, "k": k, "ms": ms, "gflops": 2 * m * n * k / (ms * 1e6),
            "samplesMs": times}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shapes", default="128x512x1296:NT,512x1296x128:TN")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="torch intra-op threads (default: the machine's core count)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    shapes = parse_shapes(args.shapes, p.error)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(args.seed)
    rows = [bench(s, args.repeats, args.warmup, g) for s in shapes]
    print(json.dumps({
        "tool": "torch",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "rows": rows,
    }))


if __name__ == "__main__":
    sys.exit(main())

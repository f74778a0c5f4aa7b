#!/usr/bin/python3
"""PyTorch CPU inference rate for bench/engines.sh: an MLP (256-512-512-10, batch 32, fixed
seed, one thread) run forward for SECONDS after one warm-up pass; prints "inferences/s: N"
(forward passes per second). No file or network access beyond importing torch, so the same
script runs bare and under profiles/python-cpu.yaml.

    python3 torch_infer.py SECONDS
"""
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import torch  # noqa: E402
from torch import nn  # noqa: E402


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10)).eval()
    x = torch.randn(32, 256)
    with torch.no_grad():
        model(x)
        n, t0 = 0, time.perf_counter()
        while True:
            model(x)
            n += 1
            dt = time.perf_counter() - t0
            if dt >= secs:
                break
    print(f"inferences/s: {n / dt:.1f}")


if __name__ == "__main__":
    main()

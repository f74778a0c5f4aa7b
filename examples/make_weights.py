#!/usr/bin/env python3
"""Generates the example model's weights (build time, outside the sandbox).

    python3 examples/make_weights.py OUTDIR

Writes OUTDIR/weights.npz (a 2-layer MLP: 64 -> 32 -> 10, float64, fixed seed) and
OUTDIR/input.npy (a batch of 8 inputs), and, when PyTorch is installed, OUTDIR/tiny.pt for
examples/torch_model.py. The same seed always gives the same files.
"""
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"

try:
    import numpy as np
except ImportError:
    # The Debian python3-numpy package belongs to the system interpreter; a python3 earlier on
    # PATH (pyenv, venv) may not see it.
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.access(SYSTEM_PYTHON, os.X_OK):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    sys.exit("make_weights.py: numpy is missing: apt-get install python3-numpy")

N_IN, N_HIDDEN, N_OUT, BATCH = 64, 32, 10, 8
SEED = 20240611


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_weights.py OUTDIR")
    out = os.path.normpath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    w1 = rng.normal(0.0, 1.0 / np.sqrt(N_IN), (N_IN, N_HIDDEN))
    b1 = rng.normal(0.0, 0.1, N_HIDDEN)
    w2 = rng.normal(0.0, 1.0 / np.sqrt(N_HIDDEN), (N_HIDDEN, N_OUT))
    b2 = rng.normal(0.0, 0.1, N_OUT)
    x = rng.normal(0.0, 1.0, (BATCH, N_IN))
    # Written under temporary names and renamed, so a reader never sees half a file.
    tmp = os.path.join(out, ".weights.tmp.npz")
    np.savez(tmp, w1=w1, b1=b1, w2=w2, b2=b2)
    os.replace(tmp, os.path.join(out, "weights.npz"))
    tmp = os.path.join(out, ".input.tmp.npy")
    np.save(tmp, x)
    os.replace(tmp, os.path.join(out, "input.npy"))
    print(f"wrote {out}/weights.npz and {out}/input.npy (seed {SEED})")

    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import torch_model
    except ImportError as e:
        print(f"PyTorch example skipped: {e}")
        return
    torch_model.save(out)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The benign example model: a 2-layer MLP inference in numpy.

    python3 model.py MODELDIR

Loads MODELDIR/weights.npz and MODELDIR/input.npy read-only (no pickle), runs the forward
pass and prints the predicted classes and a checksum of the output. The output is the same
bare and inside ward, which is what tests/integration/core_e2e.sh compares.
"""
import hashlib
import os
import sys

# One BLAS thread: the sums are done in the same order every run, so the output is bit-for-bit
# reproducible (and the sandbox needs fewer threads).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402


def forward(params, x):
    h = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    logits = h @ params["w2"] + params["b2"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: model.py MODELDIR")
    d = sys.argv[1]
    with np.load(os.path.join(d, "weights.npz"), allow_pickle=False) as f:
        params = {k: f[k] for k in ("w1", "b1", "w2", "b2")}
    x = np.load(os.path.join(d, "input.npy"), allow_pickle=False)
    probs = forward(params, x)
    text = " ".join(f"{v:.6f}" for v in probs.ravel())
    print("classes:", " ".join(str(int(i)) for i in probs.argmax(axis=1)))
    print("confidence:", " ".join(f"{v:.4f}" for v in probs.max(axis=1)))
    print("checksum:", hashlib.sha256(text.encode()).hexdigest()[:16])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The PyTorch example: torch.save at build time, torch.load + forward inside the sandbox.

    python3 torch_model.py save OUTDIR     (build time, outside the sandbox)
    python3 torch_model.py run MODELDIR    (inside the sandbox: load and run)

torch.load is called with the installed version's default, which for Debian 12's PyTorch 1.13
unpickles the whole module: the reason such a model must run inside a sandbox.
"""
import hashlib
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import torch  # noqa: E402
from torch import nn  # noqa: E402

SEED = 1234
FILE = "tiny.pt"


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


def save(outdir):
    torch.manual_seed(SEED)
    model = TinyNet().eval()
    x = torch.randn(6, 16)
    os.makedirs(outdir, exist_ok=True)
    tmp = os.path.join(outdir, ".tiny.tmp.pt")
    # The module itself is pickled (class reference + state), as many published models are.
    torch.save({"model": model, "input": x}, tmp)
    os.replace(tmp, os.path.join(outdir, FILE))
    print(f"wrote {os.path.join(outdir, FILE)} (torch {torch.__version__}, seed {SEED})")


def run(modeldir):
    torch.set_num_threads(1)
    # The pickled class is __main__.TinyNet when saved from this script run as a program; when
    # saved through make_weights.py it is torch_model.TinyNet: make both names resolve.
    sys.modules.setdefault("torch_model", sys.modules[__name__])
    blob = torch.load(os.path.join(modeldir, FILE), map_location="cpu")
    model, x = blob["model"], blob["input"]
    model.eval()
    with torch.no_grad():
        y = model(x)
    text = " ".join(f"{v:.6f}" for v in y.flatten().tolist())
    print("torch:", torch.__version__.split("+")[0])
    print("classes:", " ".join(str(int(i)) for i in y.argmax(dim=1).tolist()))
    print("checksum:", hashlib.sha256(text.encode()).hexdigest()[:16])


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "run"):
        sys.exit("usage: torch_model.py save OUTDIR | run MODELDIR")
    (save if sys.argv[1] == "save" else run)(sys.argv[2])


if __name__ == "__main__":
    main()

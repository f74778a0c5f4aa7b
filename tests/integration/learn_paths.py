"""Two code paths for tests/integration/learn_merge.sh: `plain` reads the CPU list from /sys,
`torch` imports PyTorch (which reads the CPU topology, NUMA nodes and calls mlock)."""
import sys

if sys.argv[1] == "plain":
    with open("/sys/devices/system/cpu/online") as f:
        f.read()
    print("plain ok")
else:
    import torch

    print("torch ok", torch.ones(2).sum().item())

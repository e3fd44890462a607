#!/usr/bin/env python3
"""Write tests/fixtures/unet_ngf1_legacy.pth and its reference output.

A random junyanz pix2pix `unet_256` generator at ngf 1 (about 60 kB), saved by PyTorch's
legacy (pre-1.6, non-ZIP) `torch.save` stream, which older pix2pix checkpoints use. Beside
it, `unet_ngf1_legacy.json`: the network's output, run by PyTorch on a fixed formula input
(batch statistics, no dropout, as pix2paint paints), at 64 fixed pixels and as a whole-image
mean, for `tests/import.rs` to compare pix2paint's reading of the file with.

usage: benches/legacy_pth_fixture.py   (in ~/.cache/pix2paint-torch-venv)
"""
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from pytorch_export_check import unet_256  # noqa: E402


def formula_input():
    """x[c, y, x] = 0.8 · sin(0.05 x + 0.07 y + c), computed in f64 and stored as f32."""
    v = [[[0.8 * math.sin(0.05 * x + 0.07 * y + c) for x in range(256)] for y in range(256)]
         for c in range(3)]
    return torch.tensor(v, dtype=torch.float64).float()[None]


def main():
    torch.manual_seed(7)
    net = unet_256(1)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("running_var") or name.endswith(".weight") and t.dim() == 1:
                t.copy_(torch.rand_like(t) + 0.5)  # variances and BN scales positive
            elif t.is_floating_point():
                t.copy_(torch.randn_like(t) * 0.1)
    here = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    path = os.path.join(here, "unet_ngf1_legacy.pth")
    torch.save(net.state_dict(), path, _use_new_zipfile_serialization=False)

    net.train()  # batch statistics
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    with torch.no_grad():
        y = net(formula_input())[0]
    pixels = [(c, (37 * k) % 256, (91 * k + 13) % 256) for k in range(64) for c in [k % 3]]
    ref = {
        "mean": y.double().mean().item(),
        "pixels": [[c, py, px, y[c, py, px].item()] for c, py, px in pixels],
    }
    with open(os.path.join(here, "unet_ngf1_legacy.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

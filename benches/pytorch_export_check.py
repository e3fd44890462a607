#!/usr/bin/env python3
"""Check that `pix2paint export MODEL --to pth` gives a file PyTorch pix2pix code can use.

Builds pix2pix's unet_256 generator the way junyanz/pytorch-CycleGAN-and-pix2pix nests it
(one skip-connection block per level, each an nn.Sequential called `model`, so the state-dict
keys are theirs), loads the exported state dict with strict=True, paints a sketch image and
compares the result with pix2paint's own output for the same sketch (as PNGs, so the
tolerance is a few 8-bit levels).

usage: pytorch_export_check.py MODEL.pth SKETCH.png PIX2PAINT_RESULT.png NGF
Runs in ~/.cache/pix2paint-torch-venv (see peer_torch_train.py).
"""
import sys

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, outer, inner, input_nc=None, sub=None, outermost=False, innermost=False, dropout=False):
        super().__init__()
        self.outermost = outermost
        input_nc = outer if input_nc is None else input_nc
        down = nn.Conv2d(input_nc, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), sub, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet_256(ngf):
    b = Block(ngf * 8, ngf * 8, innermost=True)
    for _ in range(3):
        b = Block(ngf * 8, ngf * 8, sub=b, dropout=True)
    b = Block(ngf * 4, ngf * 8, sub=b)
    b = Block(ngf * 2, ngf * 4, sub=b)
    b = Block(ngf, ngf * 2, sub=b)
    b = Block(3, ngf, input_nc=3, sub=b, outermost=True)
    net = nn.Module()
    net.model = b
    net.forward = lambda x: b(x)
    return net


def main():
    from PIL import Image  # only the check needs it; unet_256 is imported by other scripts

    model, sketch, ours, ngf = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    net = unet_256(ngf)
    state = torch.load(model, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    # pix2pix's test.py without --eval: batch norm on the test image's statistics, and
    # pix2paint runs without dropout.
    net.train()
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    x = np.asarray(Image.open(sketch).convert("RGB"), dtype=np.float32) / 127.5 - 1.0
    x = torch.from_numpy(x).permute(2, 0, 1)[None]
    with torch.no_grad():
        y = net(x)[0].permute(1, 2, 0).numpy()
    theirs = np.round((np.clip(y, -1, 1) + 1) * 127.5)
    mine = np.asarray(Image.open(ours).convert("RGB"), dtype=np.float32)
    diff = np.abs(theirs - mine)
    print(f"strict load: ok ({len(state)} tensors); max |diff| {diff.max():.0f} levels, "
          f"mean {diff.mean():.3f}")
    sys.exit(0 if diff.max() <= 2 else 1)


if __name__ == "__main__":
    main()

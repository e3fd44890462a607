#!/usr/bin/env python3
"""Check that `pix2paint export MODEL --to pth --pair -o DIR` gives a pair PyTorch pix2pix
(junyanz/pytorch-CycleGAN-and-pix2pix) continues training from, and that the result comes back.

Builds their unet_256 generator (pytorch_export_check.unet_256) and their NLayerDiscriminator
(`--netD basic --n_layers_D 3 --norm batch`) the way networks.py does, loads DIR/latest_net_G.pth
and DIR/latest_net_D.pth with strict=True, takes one training step as their pix2pix_model.py
does (D on real and fake pairs, then G on GAN + λ·L1; Adam 2e-4, β1 0.5; vanilla GAN loss), writes
the stepped generator to DIR/stepped_net_G.pth and, given the pix2paint binary, opens it there
(`pix2paint info`).

usage: pytorch_pair_check.py DIR NGF NDF [PIX2PAINT]
Runs in ~/.cache/pix2paint-torch-venv (created on first use).
"""
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from peer_venv import ensure  # noqa: E402

if __name__ == "__main__":
    ensure("pix2paint-torch-venv", ["numpy", "torch"], ["torch"], __file__)

import torch  # noqa: E402
from torch import nn  # noqa: E402

from pytorch_export_check import unet_256  # noqa: E402


def n_layer_discriminator(input_nc, ndf, n_layers=3):
    """networks.NLayerDiscriminator with BatchNorm (so only the first and last convs have bias)."""
    seq = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2 ** n, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * mult),
                nn.LeakyReLU(0.2, True)]
    prev, mult = mult, min(2 ** n_layers, 8)
    seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False), nn.BatchNorm2d(ndf * mult),
            nn.LeakyReLU(0.2, True), nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
    net = nn.Module()
    net.model = nn.Sequential(*seq)
    net.forward = lambda x: net.model(x)
    return net


def main():
    folder, ngf, ndf = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    g, d = unet_256(ngf), n_layer_discriminator(6, ndf)
    for net, name in [(g, "latest_net_G.pth"), (d, "latest_net_D.pth")]:
        state = torch.load(folder / name, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
        print(f"{name}: strict load ok ({len(state)} tensors)")
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1, lam = nn.BCEWithLogitsLoss(), nn.L1Loss(), 100.0
    torch.manual_seed(0)
    real_a = torch.rand(1, 3, 256, 256) * 2 - 1
    real_b = torch.rand(1, 3, 256, 256) * 2 - 1
    before = [p.detach().clone() for p in g.parameters()]
    fake_b = g(real_a)
    # D: fake pairs → 0, real pairs → 1.
    opt_d.zero_grad()
    pred_fake = d(torch.cat([real_a, fake_b.detach()], 1))
    pred_real = d(torch.cat([real_a, real_b], 1))
    loss_d = 0.5 * (bce(pred_fake, torch.zeros_like(pred_fake)) + bce(pred_real, torch.ones_like(pred_real)))
    loss_d.backward()
    opt_d.step()
    # G: fool D, stay near the target.
    opt_g.zero_grad()
    pred_fake = d(torch.cat([real_a, fake_b], 1))
    loss_g = bce(pred_fake, torch.ones_like(pred_fake)) + lam * l1(fake_b, real_b)
    loss_g.backward()
    opt_g.step()
    moved = sum(float((p.detach() - b).abs().max()) > 0 for p, b in zip(g.parameters(), before))
    print(f"one step: D {loss_d.item():.4f}, G {loss_g.item():.4f}; "
          f"{moved} of {len(before)} generator tensors moved")
    ok = torch.isfinite(loss_d) and torch.isfinite(loss_g) and moved == len(before)
    stepped = folder / "stepped_net_G.pth"
    torch.save(g.state_dict(), stepped)
    if len(sys.argv) > 4:
        info = subprocess.run([sys.argv[4], "info", str(stepped)], capture_output=True, text=True)
        print(f"pix2paint info {stepped.name}: exit {info.returncode}")
        print(info.stdout.strip() or info.stderr.strip())
        ok = ok and info.returncode == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

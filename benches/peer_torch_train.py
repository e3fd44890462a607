#!/usr/bin/env python3
"""PyTorch CPU peer for `pix2paint bench --train`.

Trains the same pix2pix networks as pix2paint's trainer, written here from the paper: the
U-Net generator as pix2paint's trainer builds it, which is PyTorch pix2pix's unet_256 (4×4
convolutions, a bias only on the output one, BatchNorm on every encoder block but the first
and the innermost, dropout 0.5 on the decoders 2-4 from the inside, tanh out) and
the 70×70 PatchGAN (C64-C128-C256-C512, bias only where no BatchNorm follows). One step is
pix2paint's step: discriminator update on a real and a detached generated pair, then generator
update with the vanilla GAN loss plus 100 × L1, the discriminator's weights frozen for it (as
pix2pix's `set_requires_grad(netD, False)`); Adam lr 2e-4, betas (0.5, 0.999); batch 1 or
`--batch N`.

Prints one JSON line: median ms per step, steps/s and both parameter counts (to check that the
networks match pix2paint's).

Installs numpy and torch into ~/.cache/pix2paint-torch-venv on first use.
"""
import argparse
import json
import os
import time


def ensure_packages():
    from peer_venv import ensure

    ensure("pix2paint-torch-venv", ["numpy", "torch"], ["torch"], __file__)


def build(ngf, ndf):
    import torch
    from torch import nn

    depth = 8
    mult = [1, 2, 4, 8, 8, 8, 8, 8]

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.ModuleList()
            cin = 3
            for i in range(depth):
                cout = ngf * mult[i]
                layers = []
                if i > 0:
                    layers.append(nn.LeakyReLU(0.2))
                layers.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=False))
                if 0 < i < depth - 1:
                    layers.append(nn.BatchNorm2d(cout))
                self.down.append(nn.Sequential(*layers))
                cin = cout
            self.up = nn.ModuleList()
            for j in range(depth):
                level = depth - 1 - j
                cin = ngf * mult[level] * (1 if j == 0 else 2)
                last = j == depth - 1
                cout = 3 if last else ngf * mult[level - 1]
                layers = [nn.ReLU(), nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=last)]
                layers.append(nn.Tanh() if last else nn.BatchNorm2d(cout))
                if 1 <= j <= 3:
                    layers.append(nn.Dropout(0.5))
                self.up.append(nn.Sequential(*layers))

        def forward(self, x):
            skips = []
            for block in self.down:
                x = block(x)
                skips.append(x)
            h = skips.pop()
            for j, block in enumerate(self.up):
                if j > 0:
                    h = torch.cat([h, skips.pop()], 1)
                h = block(h)
            return h

    def d_block(cin, cout, stride, norm):
        layers = [nn.Conv2d(cin, cout, 4, stride, 1, bias=not norm)]
        if norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2))
        return layers

    d = nn.Sequential(
        *d_block(6, ndf, 2, False),
        *d_block(ndf, ndf * 2, 2, True),
        *d_block(ndf * 2, ndf * 4, 2, True),
        *d_block(ndf * 4, ndf * 8, 1, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 1),
    )
    g = UNet()
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return g, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    ensure_packages()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g, d = build(args.ngf, args.ndf)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    sketch = torch.rand(args.batch, 3, 256, 256) * 2 - 1
    photo = torch.rand(args.batch, 3, 256, 256) * 2 - 1

    def set_requires_grad(net, on):
        for p in net.parameters():
            p.requires_grad = on

    def step():
        fake = g(sketch)
        set_requires_grad(d, True)
        real_logits = d(torch.cat([sketch, photo], 1))
        fake_logits = d(torch.cat([sketch, fake.detach()], 1))
        loss_d = 0.5 * (
            F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        set_requires_grad(d, False)
        judged = d(torch.cat([sketch, fake], 1))
        loss_g = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged)) + 100 * (
            fake - photo
        ).abs().mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iters):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    count = lambda m: sum(p.numel() for p in m.parameters())
    print(
        json.dumps(
            {
                "median_ms": median,
                "steps_per_s": 1e3 / median,
                "g_params": count(g),
                "d_params": count(d),
                "torch": torch.__version__,
                "threads": args.threads,
            }
        )
    )


if __name__ == "__main__":
    main()

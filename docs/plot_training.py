#!/usr/bin/env python3
"""Loss curves (and held-out evaluation) of `pix2paint train` runs, as one PNG for a model card.

usage: docs/plot_training.py OUT.png --run LABEL=train.log [--run ...] [--eval LABEL=eval.md ...]

train.log: the lines `pix2paint train` prints ("step N: D … G_GAN … G_L1 …"); a restarted run may
repeat steps, the last line for a step wins. Lines are smoothed over 1,000 steps. eval.md: the
Markdown table `pix2paint eval` prints, with snapshot names `step-NNNNNN…` in the model column.
Needs matplotlib.
"""
import argparse
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LINE = re.compile(r"step (\d+): D ([\d.eE+-]+)\s+G_GAN ([\d.eE+-]+)\s+G_L1 ([\d.eE+-]+)")
STEP = re.compile(r"step-0*(\d+)")


def read_log(path):
    rows = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.search(line)
        if m:
            rows[int(m.group(1))] = tuple(float(v) for v in m.groups()[1:])
    steps = sorted(rows)
    return steps, [rows[s] for s in steps]


def smooth(steps, values, window):
    out = []
    for s in steps:
        near = [v for t, v in zip(steps, values) if s - window < t <= s]
        out.append(sum(near) / len(near))
    return out


def read_eval(path):
    points = []
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # | model (step-NNNNNN.safetensors) | steps | mean L1 | SSIM | ms / image |
        m = STEP.search(cells[0]) if cells else None
        if m and len(cells) >= 4:
            try:
                points.append((int(m.group(1)), float(cells[2]), float(cells[3])))
            except ValueError:
                pass
    return sorted(points)


def pair(text):
    label, _, path = text.partition("=")
    if not path:
        raise argparse.ArgumentTypeError("expected LABEL=PATH")
    return label, path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--run", type=pair, action="append", default=[])
    ap.add_argument("--eval", type=pair, action="append", default=[])
    ap.add_argument("--window", type=int, default=1000)
    a = ap.parse_args()
    panels = 3 if a.eval else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6), dpi=110)
    for label, path in a.run:
        steps, rows = read_log(path)
        if not steps:
            raise SystemExit(f"{path}: no loss lines")
        l1 = smooth(steps, [r[2] for r in rows], a.window)
        axes[0].plot(steps, l1, label=f"{label}")
        if any(r[0] > 0 for r in rows):
            axes[1].plot(steps, smooth(steps, [r[0] for r in rows], a.window), label=f"{label}: D")
            axes[1].plot(steps, smooth(steps, [r[1] for r in rows], a.window), label=f"{label}: G_GAN")
    axes[0].set_title("training L1 (output vs photo, [-1, 1])")
    axes[1].set_title("adversarial losses")
    for label, path in a.eval:
        points = read_eval(path)
        if not points:
            raise SystemExit(f"{path}: no step-N rows")
        axes[2].plot([p[0] for p in points], [p[1] for p in points], "o-", label=f"{label}: L1")
        axes[2].plot([p[0] for p in points], [p[2] for p in points], "s--", label=f"{label}: SSIM")
    if a.eval:
        axes[2].set_title("held-out photos (test.txt)")
    for ax in axes:
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out)


if __name__ == "__main__":
    main()

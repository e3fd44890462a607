#!/usr/bin/env bash
# The long training run of the second cat model (issue 13), started or resumed in the
# background. Idempotent: run it at the start of every session.
#
#   benches/cats_v2_run.sh            # start, or resume exactly from the run's checkpoint
#   benches/cats_v2_run.sh --status   # the last log lines
#   benches/cats_v2_run.sh --polish N # a short run of N steps from the committed model, its
#                                     # learning rate falling linearly to zero over the last 80 %
#                                     # (pix2pix's decay phase), in its own folder (v2-polish)
#
# - Data: symlink folders of the Oxford-IIIT cats split by train.txt / test.txt (the photos
#   stay in ../shared; nothing of them enters the repository).
# - The binary is copied out of target/ so later builds never touch the running one.
# - Run folder outside the repository: ~/.cache/pix2paint-runs/v2 (checkpoint, log, samples,
#   snapshots). Since the restart on 2026-12-01 half the steps go without hints (before: a
#   quarter), as unhinted outline and XDoG paintings had grown worse while hinted ones improved.
#   Since 2026-12-02 half the examples come from the 368 training photos with a mask
#   (`--masked-share 0.5`; before, 19 %), so outline-only sketches, what people draw and the
#   weakest style, are 17 % of the steps instead of 7 %, and the L1 weight is doubled
#   (`--lambda 200`): at 1,250 steps from the shipped file it paints closer to the photos than
#   λ 100 did (L1 ÷ mean colour on outlines 1.063 against 1.094, edges 1.013 against 1.044).
#   On a new machine without it, the run starts from the committed v2 model when
#   there is one (G, its average and D; fresh Adam), else from scratch.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=cats_common.sh
source "$repo/benches/cats_common.sh"
data_src="${PIX2PAINT_CATS:-$repo/../shared/data/oxford-cats}"
cache="$HOME/.cache/pix2paint-data"
run="$HOME/.cache/pix2paint-runs/v2"
v2_model="$repo/weights/pix2paint-cats-v2.safetensors"
schedule=(--steps 400000)
if [ "${1:-}" = "--polish" ]; then
  steps="${2:?--polish needs a step count}"
  run="$run-polish"
  schedule=(--steps "$steps" --decay-from "$((steps / 5))")
  shift 2
fi

if [ "${1:-}" = "--status" ]; then
  tail -n 5 "$run/train.log"
  exit 0
fi
exit_if_running

link_splits

mkdir -p "$run"
copy_binary

start=()
if [ ! -f "$run/run.ckpt.safetensors" ] && [ -f "$v2_model" ]; then
  start=(--from "$v2_model")
fi
cd "$run"
nohup ./pix2paint-train train "$cache/cats-train" \
  --masks "$data_src/masks" \
  --out model.safetensors --checkpoint run.ckpt.safetensors \
  "${schedule[@]}" --ngf 32 --ndf 32 --cpu --hints --hint-rate 0.25 --hint-free-share 0.5 --ema 0.999 --tie-phases --seed 11 \
  --masked-share 0.5 --lambda 200 \
  --log-every 100 --checkpoint-every 250 --samples samples --snapshots snapshots \
  "${start[@]}" >>train.log 2>&1 &
echo "started: $run/train.log"

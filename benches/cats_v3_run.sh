#!/usr/bin/env bash
# The long training run of the third cat model (issue 26: cats on clean paper), started or
# resumed in the background. Idempotent: run it at the start of every session.
#
#   benches/cats_v3_run.sh            # masks (once), then start or resume the run exactly
#   benches/cats_v3_run.sh --status   # the last log lines
#   benches/cats_v3_run.sh --masks    # only (re)make the masks: the segmenter when it is
#                                     # missing, then the predictions and their IoU (a run that
#                                     # goes on reads the new masks from its next example on)
#   benches/cats_v3_run.sh --branch NAME FLAG...
#                                     # a comparison run beside it, from the same start, in
#                                     # ~/.cache/pix2paint-runs/v3-NAME with extra flags (e.g.
#                                     # --branch ms --d-scales 2 --feature-matching 10); both
#                                     # then run on one core each (RAYON_NUM_THREADS=1, taskset)
#   benches/cats_v3_run.sh --branch NAME --from-main FLAG...
#                                     # the same, but starting from the main run's latest
#                                     # checkpoint (its G, D and weight average; fresh Adam):
#                                     # a change tried from where the run is now. Start a
#                                     # control branch with no FLAG beside it, so both arms
#                                     # have the fresh optimizer. A branch runs on core 1;
#                                     # PIX2PAINT_CORE=0 puts a second one on the other core
#                                     # (the main run stopped meanwhile).
#
# - Data: symlink folders of the Oxford-IIIT cats split by train.txt / test.txt (the photos
#   stay in ../shared; nothing of them enters the repository).
# - Masks for every photo: `pix2paint segment train` on the training photos that have a trimap
#   (368; 8,000 steps, about 45 minutes on 2 cores; weights/pix2paint-cats-segmenter.safetensors
#   is such a one, used when this machine has none), `segment predict` for the rest, the trimaps kept as they are; the IoU on the test
#   photos with trimaps goes to $cache/masks-v3.iou. Derived data, outside the repository:
#   ~/.cache/pix2paint-data/masks-v3 (regenerated when missing).
# - The run: most sketches drawn as people draw on blank paper, their targets the cat over its
#   blurred background (`--drawings blur`), a quarter photo edges over the real background;
#   half the steps with hints, half of those on recoloured cats, 40 % of the hints strokes;
#   pix2pixHD's two-scale discriminator and feature matching (they measured fewer streaks and
#   closer colours than the single PatchGAN in a comparison of 1,250 steps each from v2).
# - The binary is copied out of target/ so later builds never touch the running one.
# - Run folder outside the repository: ~/.cache/pix2paint-runs/v3 (checkpoint, log, samples,
#   snapshots). On a new machine it starts from the committed v3 model when there is one,
#   else from v2 (G, its average and D; fresh Adam).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=cats_common.sh
source "$repo/benches/cats_common.sh"
data_src="${PIX2PAINT_CATS:-$repo/../shared/data/oxford-cats}"
cache="$HOME/.cache/pix2paint-data"
masks="$cache/masks-v3"
segmenter="$HOME/.cache/pix2paint-runs/segmenter/segmenter.safetensors"
shipped_segmenter="$repo/weights/pix2paint-cats-segmenter.safetensors"
run="$HOME/.cache/pix2paint-runs/v3"
extra=()
pin=()
from_main=""
if [ "${1:-}" = "--branch" ]; then
  main_run="$run"
  run="$run-${2:?--branch needs a name}"
  extra=("${@:3}")
  if [ "${extra[0]:-}" = "--from-main" ]; then
    from_main="$main_run/run.ckpt.safetensors"
    extra=("${extra[@]:1}")
  fi
  pin=(env RAYON_NUM_THREADS=1 taskset -c "${PIX2PAINT_CORE:-1}")
fi
v3_model="$repo/weights/pix2paint-cats-v3.safetensors"
v2_model="$repo/weights/pix2paint-cats-v2.safetensors"

if [ "${1:-}" = "--status" ]; then
  tail -n 5 "$run/train.log"
  exit 0
fi
exit_if_running

link_splits

mkdir -p "$run" "$(dirname "$segmenter")"
copy_binary

photos=$(cat "$data_src/train.txt" "$data_src/test.txt" | wc -l)
have=0
[ -d "$masks" ] && have=$(find "$masks" -name '*.png' | wc -l)
if [ "$have" -lt "$photos" ] || [ "${1:-}" = "--masks" ]; then
  # The committed segmenter when this machine has none (a fresh machine then only predicts);
  # else train it, or finish one cut short (it is saved every 500 steps); a finished one is
  # left as it is.
  [ -f "$segmenter" ] || [ ! -f "$shipped_segmenter" ] || cp "$shipped_segmenter" "$segmenter"
  resume=()
  [ -f "$segmenter" ] && resume=(--from "$segmenter")
  "$run/pix2paint-train" segment train "$cache/cats-train" --masks "$data_src/masks" \
    --out "$segmenter" --steps 8000 --cpu "${resume[@]}" 2>&1 \
    | tee -a "$(dirname "$segmenter")/train.log"
  "$run/pix2paint-train" segment predict "$cache/cats-test" --model "$segmenter" \
    --masks "$data_src/masks" --out "$masks" --score --cpu | tee "$cache/masks-v3.iou"
  "$run/pix2paint-train" segment predict "$cache/cats-train" --model "$segmenter" \
    --masks "$data_src/masks" --out "$masks" --cpu
fi
[ "${1:-}" = "--masks" ] && exit 0

start=()
if [ ! -f "$run/run.ckpt.safetensors" ]; then
  if [ -n "$from_main" ]; then
    [ -f "$from_main" ] || { echo "no checkpoint of the main run at $from_main"; exit 1; }
    # A copy: the main run rewrites its checkpoint every 250 steps.
    mkdir -p "$run"
    cp "$from_main" "$run/start.safetensors"
    start=(--from "$run/start.safetensors")
  elif [ -f "$v3_model" ]; then start=(--from "$v3_model"); else start=(--from "$v2_model"); fi
fi
# The run's settings (flag and value); a branch's flag of the same name replaces its value.
settings=(--hint-rate 0.25 --hint-free-share 0.5 --recolour-hints 0.5 --stroke-hints 0.4
  --ema 0.999 --seed 13 --lambda 200 --d-scales 2 --feature-matching 10)
for ((i = 0; i < ${#extra[@]}; i++)); do
  for ((j = 0; j < ${#settings[@]}; j += 2)); do
    if [ "${settings[j]}" = "${extra[i]}" ] && [ $((i + 1)) -lt ${#extra[@]} ]; then
      settings[j + 1]="${extra[i + 1]}"
      extra[i]="" extra[i + 1]=""
    fi
  done
done
read -r -a extra <<<"${extra[*]}"
cd "$run"
nohup "${pin[@]}" ./pix2paint-train train "$cache/cats-train" \
  --masks "$masks" --drawings blur \
  --out model.safetensors --checkpoint run.ckpt.safetensors \
  --steps 400000 --ngf 32 --ndf 32 --cpu --hints --tie-phases \
  --log-every 100 --checkpoint-every 250 --samples samples --snapshots snapshots \
  "${settings[@]}" "${start[@]}" ${extra[@]+"${extra[@]}"} >>train.log 2>&1 &
echo "started: $run/train.log"

#!/usr/bin/env bash
# The v2 cat model's GPU stretch (issue 13), for a session whose task is lent the `device`
# machine (one NVIDIA GPU, no Rust toolchain, nothing reachable, 64 MiB of working tree per
# call, files back at most 16 MiB each). Three steps:
#
#   benches/gpu_stretch.sh pack [PHOTOS]   # here: fill .gpu/ and .gl/ (both git-ignored), set
#                                          # the committed models aside so the tree fits
#   device run, carry [".gpu", ".gl"], timeout_s 600:
#       bash benches/gpu_stretch.sh device [MINUTES]
#   benches/gpu_stretch.sh unpack DIR      # here: DIR = the files that came back; puts the
#                                          # models back and rebuilds the stretched model
#
# On the GPU it records the wgpu inference and training-step timings (`bench`, `bench --train`,
# CPU rows beside them), the wgpu-vs-CPU agreement of two training steps from one checkpoint,
# then continues the run through wgpu for MINUTES (default 5) from the CPU run's latest weights
# (weight average and discriminator; fresh optimizer state, as on any new machine) and brings
# the result back as a half-precision model in 15 MB parts.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
stash="$HOME/.cache/pix2paint-gpu-stash"

pack() {
  local photos="${1:-400}"
  local data="${PIX2PAINT_CATS:-$repo/../shared/data/oxford-cats}"
  local bin="$repo/target/release/pix2paint"
  [ -x "$bin" ] || cargo build --release
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >> .git/info/exclude
  rm -rf .gpu && mkdir -p .gpu/cats .gpu/masks
  strip -o .gpu/pix2paint "$bin"
  xz -9 -T0 .gpu/pix2paint
  # The run's latest weights: its checkpoint here, else the committed v2 file.
  local start="$HOME/.cache/pix2paint-runs/v2/run.ckpt.safetensors"
  [ -f "$start" ] || start="$repo/weights/pix2paint-cats-v2.safetensors"
  "$bin" export "$start" --to safetensors --half --average-only -o .gpu/start.safetensors
  # Training photos, those with a mask first (outline sketches need them).
  local n=0 name
  while read -r name; do
    [ "$n" -lt "$photos" ] || break
    if [ -f "$data/masks/$name.png" ]; then
      cp "$data/photos/$name.jpg" .gpu/cats/ && cp "$data/masks/$name.png" .gpu/masks/
      n=$((n + 1))
    fi
  done < "$data/train.txt"
  while read -r name; do
    [ "$n" -lt "$photos" ] || break
    [ -f ".gpu/cats/$name.jpg" ] && continue
    cp "$data/photos/$name.jpg" .gpu/cats/
    n=$((n + 1))
  done < "$data/train.txt"
  # The Vulkan loader and GL libraries the device machine lacks (its README's recipe).
  if [ ! -d .gl ]; then
    mkdir -p .gl /tmp/amd64/partial
    local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    # shellcheck disable=SC2086
    apt-get $o update -qq
    # shellcheck disable=SC2086
    (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
  # The committed models do not fit the 64 MiB the call sends; `unpack` puts them back.
  mkdir -p "$stash"
  for f in weights/*.safetensors; do
    [ -f "$f" ] && mv "$f" "$stash/"
  done
  echo "packed: $(du -sh .gpu | cut -f1) in .gpu ($n photos), models set aside in $stash"
  echo "tree that travels: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes tracked + .gpu + .gl"
  echo "now: device run, carry [\".gpu\", \".gl\"], timeout_s 600: bash benches/gpu_stretch.sh device 5"
}

device() {
  local minutes="${1:-5}"
  : "${OUT:?OUT (the folder whose files come back) must be set}"
  # The carried libraries go into / on the device machine only (it is bare and given back).
  if command -v nvidia-smi >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
  python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.gpu/pix2paint.xz'), open('/tmp/pix2paint', 'wb'))"
  chmod +x /tmp/pix2paint
  local p=/tmp/pix2paint
  nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
  $p info .gpu/start.safetensors > "$OUT/start.txt" 2>&1 || true
  # Timings (no Python peers there; the CPU rows run on the machine's own cores).
  # STRETCH_ITERS=0: no timings (a dry run of the rest here, where the GPU is a software one).
  local iters="${STRETCH_ITERS:-20}"
  if [ "$iters" -gt 0 ]; then
    $p bench --ngf 64,32 --iters "$iters" --no-peer > "$OUT/bench-inference.md" 2>&1 || true
    $p bench --train --ngf 32 --ndf 32 --iters "$(( (iters + 1) / 2 ))" --no-peer \
      > "$OUT/bench-train.md" 2>&1 || true
  fi
  # The stretch: the v2 run's command, through wgpu, for a fixed time; checkpoints every 500
  # steps, so at most the steps since the last one are lost when the time is up.
  mkdir -p /tmp/run
  timeout "${minutes}m" $p train .gpu/cats --masks .gpu/masks \
    --from .gpu/start.safetensors --out /tmp/run/model.safetensors \
    --checkpoint /tmp/run/run.ckpt.safetensors --steps 400000 --ngf 32 --ndf 32 \
    --hints --hint-rate 0.25 --ema 0.999 --tie-phases --seed 12 --log-every 100 \
    --checkpoint-every "${STRETCH_CHECKPOINT_EVERY:-500}" > "$OUT/train.log" 2>&1 || true
  if [ -f /tmp/run/run.ckpt.safetensors ]; then
    $p export /tmp/run/run.ckpt.safetensors --to safetensors --half -o /tmp/run/stretch.safetensors
    split -b 15M -d /tmp/run/stretch.safetensors "$OUT/stretch.part-"
  fi
  ls -la "$OUT"
}

unpack() {
  local back="${1:?the folder the files of the device run came back to}"
  mkdir -p weights
  for f in "$stash"/*.safetensors; do
    [ -f "$f" ] && mv "$f" weights/
  done
  tail -n 3 "$back/train.log" || true
  if ls "$back"/stretch.part-* >/dev/null 2>&1; then
    mkdir -p "$HOME/.cache/pix2paint-runs/v2-gpu"
    cat "$back"/stretch.part-* > "$HOME/.cache/pix2paint-runs/v2-gpu/stretch.safetensors"
    target/release/pix2paint info "$HOME/.cache/pix2paint-runs/v2-gpu/stretch.safetensors"
    echo "evaluate it against the CPU run (pix2paint eval … --weights), and continue the CPU run"
    echo "from it with --from if it is ahead"
  fi
}

case "${1:-}" in
  pack) pack "${2:-400}" ;;
  device) device "${2:-5}" ;;
  unpack) unpack "${2:-}" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac

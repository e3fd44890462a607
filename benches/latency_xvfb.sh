#!/usr/bin/env bash
# Pointer-to-result latency of the painting app, measured by the app itself
# (PIX2PAINT_LATENCY=1 logs one "latency: pointer → result" line per result shown), while
# xdotool draws strokes on the canvas of a real window under Xvfb.
#
# usage: benches/latency_xvfb.sh BINARY MODEL [STROKES] [--cpu]
# needs: Xvfb, xdotool. Prints the log lines and their median.
set -euo pipefail
bin=$1; model=$2; strokes=${3:-6}; extra=${4:-}
work=$(mktemp -d)
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
Xvfb :97 -screen 0 1280x800x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
export DISPLAY=:97 XDG_RUNTIME_DIR=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
PIX2PAINT_LATENCY=1 PIX2PAINT_WEIGHTS=$model "$bin" $extra 2>"$work/log" & app=$!
win=""
for _ in $(seq 60); do
  win=$(xdotool search --name pix2paint 2>/dev/null | head -1) && [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "no window"; cat "$work/log"; exit 1; }
sleep 4 # model load and first paint
eval "$(xdotool getwindowgeometry --shell "$win")"
# The canvas is the left square of the central area.
cx=$((X + WIDTH / 4)); cy=$((Y + HEIGHT / 2))
for s in $(seq "$strokes"); do
  x=$((cx - 120)); y=$((cy - 100 + s * 25))
  xdotool mousemove "$x" "$y" mousedown 1
  for i in $(seq 40); do
    xdotool mousemove $((x + i * 6)) $((y + (i % 10) * 3)); sleep 0.04
  done
  xdotool mouseup 1
  sleep 1.5
done
sleep 2
grep "latency:" "$work/log" || { echo "no latency lines"; cat "$work/log"; exit 1; }
grep "latency:" "$work/log" | sed -E 's/.*result ([0-9]+) ms.*/\1/' | sort -n |
  awk '{a[NR]=$1} END {print "results:", NR, " pointer-to-result median:", a[int((NR+1)/2)], "ms, 95th percentile:", a[int(NR*0.95+0.5)], "ms  (min", a[1], ", max", a[NR] ")"}'
grep "latency:" "$work/log" | sed -E 's/.*model ([0-9]+) ms.*/\1/' | sort -n |
  awk '{a[NR]=$1} END {print "time in the model median:", a[int((NR+1)/2)], "ms, 95th percentile:", a[int(NR*0.95+0.5)], "ms"}'
grep -m1 "window drawn" "$work/log" || true

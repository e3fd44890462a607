#!/usr/bin/env python3
"""Screenshots of the real app: draws a sketch with the mouse (xdotool) in a window under Xvfb,
waits for the live result and saves the whole window plus the sketch and result squares.

usage: docs/screenshot_xvfb.py BINARY MODEL OUT_DIR [--sketch NAME]... [--cpu] [--grid PNG]
       [--dab U,V]...

Sketches are stroke lists in canvas coordinates (0-1), defined below. For each one, OUT_DIR gets
NAME-window.png (the app), NAME-sketch.png and NAME-result.png (the two squares, as shown);
--grid writes all sketch | result pairs, half size, into one PNG. --dab U,V adds a colour hint
there with the Colour tool (key C, the default colour) after each sketch.
Needs Xvfb and xdotool; standard library only.
"""
import argparse
import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def ellipse(cx, cy, rx, ry, start=0.0, end=360.0, n=28):
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / n for i in range(n + 1))
    ]


def curve(*points, n=12):
    """Catmull-Rom through the points."""
    pts = [points[0], *points, points[-1]]
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1 : i + 3]
        for k in range(n):
            t = k / n
            out.append(
                tuple(
                    0.5
                    * (
                        2 * p1[j]
                        + (-p0[j] + p2[j]) * t
                        + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t * t
                        + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t**3
                    )
                    for j in range(2)
                )
            )
    out.append(points[-1])
    return out


SKETCHES = {
    # A cat sitting, facing the viewer.
    "sitting": [
        ellipse(0.5, 0.3, 0.15, 0.125, 0, 360, n=40),
        [(0.37, 0.24), (0.36, 0.09), (0.45, 0.18)],
        [(0.55, 0.18), (0.64, 0.09), (0.63, 0.24)],
        ellipse(0.445, 0.29, 0.022, 0.016),
        ellipse(0.555, 0.29, 0.022, 0.016),
        [(0.485, 0.33), (0.515, 0.33), (0.5, 0.35), (0.485, 0.33)],
        curve((0.5, 0.35), (0.48, 0.38), (0.46, 0.375)),
        curve((0.5, 0.35), (0.52, 0.38), (0.54, 0.375)),
        curve((0.41, 0.4), (0.35, 0.55), (0.31, 0.75), (0.33, 0.9)),
        curve((0.59, 0.4), (0.65, 0.55), (0.69, 0.75), (0.67, 0.9)),
        [(0.33, 0.9), (0.67, 0.9)],
        curve((0.45, 0.6), (0.44, 0.75), (0.45, 0.9)),
        curve((0.55, 0.6), (0.56, 0.75), (0.55, 0.9)),
        curve((0.67, 0.88), (0.8, 0.84), (0.86, 0.72), (0.82, 0.6)),
    ],
    # A cat lying down, seen from the side, head up.
    "lying": [
        curve((0.3, 0.5), (0.26, 0.42), (0.28, 0.33), (0.36, 0.3), (0.44, 0.34), (0.46, 0.43), (0.42, 0.5)),
        [(0.29, 0.36), (0.28, 0.24), (0.34, 0.31)],
        [(0.39, 0.3), (0.44, 0.21), (0.45, 0.34)],
        ellipse(0.33, 0.39, 0.015, 0.012),
        ellipse(0.4, 0.39, 0.015, 0.012),
        [(0.355, 0.43), (0.375, 0.43), (0.365, 0.445), (0.355, 0.43)],
        curve((0.44, 0.47), (0.58, 0.46), (0.72, 0.5), (0.8, 0.6), (0.8, 0.7)),
        curve((0.3, 0.5), (0.27, 0.6), (0.25, 0.7), (0.27, 0.72), (0.4, 0.72)),
        [(0.4, 0.72), (0.8, 0.72)],
        curve((0.33, 0.62), (0.32, 0.7), (0.3, 0.72)),
        curve((0.8, 0.7), (0.88, 0.74), (0.9, 0.66), (0.86, 0.58)),
    ],
    # A cat's head, large.
    "head": [
        ellipse(0.5, 0.55, 0.3, 0.25, 0, 360, n=48),
        [(0.25, 0.42), (0.24, 0.12), (0.42, 0.31)],
        [(0.58, 0.31), (0.76, 0.12), (0.75, 0.42)],
        ellipse(0.39, 0.5, 0.055, 0.04),
        ellipse(0.61, 0.5, 0.055, 0.04),
        [(0.47, 0.6), (0.53, 0.6), (0.5, 0.64), (0.47, 0.6)],
        curve((0.5, 0.64), (0.46, 0.7), (0.41, 0.69)),
        curve((0.5, 0.64), (0.54, 0.7), (0.59, 0.69)),
        [(0.3, 0.62), (0.12, 0.6)],
        [(0.3, 0.66), (0.13, 0.7)],
        [(0.7, 0.62), (0.88, 0.6)],
        [(0.7, 0.66), (0.87, 0.7)],
    ],
}


def densify(points, step):
    """Pixel positions at most `step` apart along the polyline, like a hand moving the mouse."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
    return [(round(x), round(y)) for x, y in out]


def xdo(*args):
    return subprocess.run(["xdotool", *map(str, args)], check=True, capture_output=True, text=True).stdout


def grab(display):
    raw = subprocess.run(["xwd", "-root", "-silent", "-display", display], check=True, capture_output=True).stdout
    h = struct.unpack(">25I", raw[:100])
    header, width, height, bpl, ncolors = h[0], h[4], h[5], h[12], h[19]
    off = header + ncolors * 12
    rows = []
    for y in range(height):
        r = raw[off + y * bpl : off + y * bpl + width * 4]
        px = bytearray(width * 3)
        px[0::3], px[1::3], px[2::3] = r[2::4], r[1::4], r[0::4]
        rows.append(bytes(px))
    return width, height, rows


def write_png(path, rows, x0=0, y0=0, w=None, h=None):
    w = len(rows[0]) // 3 if w is None else w
    h = len(rows) if h is None else h
    data = b"".join(b"\x00" + rows[y][3 * x0 : 3 * (x0 + w)] for y in range(y0, y0 + h))

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def crop(rows, x0, y0, w, h):
    return [rows[y][3 * x0 : 3 * (x0 + w)] for y in range(y0, y0 + h)]


def half(rows):
    """2× box downscale of RGB rows."""
    out = []
    for y in range(0, len(rows) - 1, 2):
        a, b = rows[y], rows[y + 1]
        w = len(a) // 3 // 2
        line = bytearray(3 * w)
        for x in range(w):
            for c in range(3):
                i, j = 6 * x + c, 6 * x + 3 + c
                line[3 * x + c] = (a[i] + a[j] + b[i] + b[j] + 2) // 4
        out.append(bytes(line))
    return out


def find_canvas(rows, wx, wy, ww, wh):
    """The sketch canvas: the widest run of white pixels on the window's middle row, left half."""
    y = wy + wh // 2
    row = rows[y]
    best, run_start = (0, 0), None
    for x in range(wx, wx + ww // 2 + 1):
        white = row[3 * x : 3 * x + 3] == b"\xff\xff\xff"
        if white and run_start is None:
            run_start = x
        if (not white or x == wx + ww // 2) and run_start is not None:
            if x - run_start > best[1] - best[0]:
                best = (run_start, x)
            run_start = None
    x0, x1 = best
    side = x1 - x0
    if side < 64:
        raise SystemExit("could not find the white sketch canvas in the window")
    xm = (x0 + x1) // 2
    top = y
    while top > wy and rows[top - 1][3 * xm : 3 * xm + 3] == b"\xff\xff\xff":
        top -= 1
    return x0, top, side


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--sketch", action="append", choices=sorted(SKETCHES))
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--grid", help="also write sketch | result rows, half size, into this PNG")
    ap.add_argument("--display", default=":98")
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--dab", action="append", default=[], help="a colour hint at U,V (0-1)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp()
    xvfb = subprocess.Popen(["Xvfb", a.display, "-screen", "0", a.size + "x24"], stderr=subprocess.DEVNULL)
    time.sleep(1)
    env = dict(
        os.environ,
        DISPLAY=a.display,
        XDG_RUNTIME_DIR=work,
        XDG_DATA_HOME=work + "/data",
        XDG_CONFIG_HOME=work + "/config",
        PIX2PAINT_WEIGHTS=a.model,
    )
    os.environ["DISPLAY"] = a.display
    log = open(os.path.join(work, "log"), "w")
    app = subprocess.Popen([a.binary] + (["--cpu"] if a.cpu else []), env=env, stderr=log)
    grid = []
    try:
        win = None
        for _ in range(120):
            out = subprocess.run(["xdotool", "search", "--name", "pix2paint"], capture_output=True, text=True).stdout.split()
            if out:
                win = out[0]
                break
            time.sleep(0.5)
        if win is None:
            raise SystemExit("no window; log: " + open(os.path.join(work, "log")).read())
        xdo("windowsize", win, *a.size.split("x"))
        time.sleep(5)
        for name in a.sketch or sorted(SKETCHES):
            # No window manager under Xvfb: focus the window directly.
            xdo("windowfocus", "--sync", win)
            xdo("key", "Delete")
            time.sleep(1.5)
            geo = dict(line.split("=") for line in xdo("getwindowgeometry", "--shell", win).split())
            wx, wy, ww, wh = (int(geo[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
            _, _, rows = grab(a.display)
            cx, cy, side = find_canvas(rows, wx, wy, ww, wh)
            for stroke in SKETCHES[name]:
                pts = densify([(cx + u * side, cy + v * side) for u, v in stroke], step=6.0)
                xdo("mousemove", *pts[0])
                time.sleep(0.1)
                xdo("mousedown", "1")
                time.sleep(0.1)
                for p in pts[1:]:
                    xdo("mousemove", *p)
                    time.sleep(0.01)
                time.sleep(0.1)
                xdo("mouseup", "1")
                time.sleep(0.15)
            if a.dab:
                xdo("key", "c")
                for dab in a.dab:
                    u, v = (float(t) for t in dab.split(","))
                    x, y = cx + u * side, cy + v * side
                    xdo("mousemove", x, y)
                    xdo("mousedown", "1")
                    for k in range(1, 6):
                        xdo("mousemove", x + 2 * k, y)
                        time.sleep(0.02)
                    xdo("mouseup", "1")
                    time.sleep(0.15)
                xdo("key", "b")
            xdo("mousemove", wx + 5, wy + wh - 5)
            time.sleep(8)  # the last result, on a CPU
            _, _, rows = grab(a.display)
            write_png(os.path.join(a.out, f"{name}-window.png"), rows, wx, wy, ww, wh)
            write_png(os.path.join(a.out, f"{name}-sketch.png"), rows, cx, cy, side, side)
            # The result square: right of the canvas past its frame and the panel's background.
            mid = rows[cy + side // 2]
            rx = cx + side + 3
            background = mid[3 * rx : 3 * rx + 3]
            while rx < wx + ww - side and mid[3 * rx : 3 * rx + 3] == background:
                rx += 1
            write_png(os.path.join(a.out, f"{name}-result.png"), rows, rx, cy, side, side)
            pair = half(crop(rows, cx, cy, side, side))
            gap = b"\xff" * 3 * 8
            grid += [l + gap + r for l, r in zip(pair, half(crop(rows, rx, cy, side, side)))]
            grid += [b"\xff" * len(grid[-1])] * 8
            print(f"{name}: canvas {side}px at ({cx},{cy}) -> {a.out}/{name}-*.png")
        if a.grid:
            write_png(a.grid, grid[:-8])
    finally:
        app.terminate()
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
        xvfb.terminate()
        sys.stderr.write(open(os.path.join(work, "log")).read()[-2000:])


if __name__ == "__main__":
    main()

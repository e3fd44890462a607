//! The decoders' transposed convolution (4×4 kernel, stride 2, padding 1) as four 2×2
//! sub-pixel convolutions, each one GEMM, written straight into its phase of the output: no
//! column scatter, and GEMMs with a 4·C-deep inner dimension instead of C.
//!
//! Output pixel `(2i + a, 2j + b)` only meets input pixels `i − 1 + a … i + a` (and the same
//! along x) through kernel taps `K(a) = [3, 1]` for `a = 0` and `[2, 0]` for `a = 1`: from
//! `y[2i + a] = Σₘ x[m] · w[2i + a + 1 − 2m]`. So phase `(a, b)` is a 2×2 convolution of `x`
//! with padding `1 − a` before the rows (`1 − b` before the columns) and weights
//! `w[·, ·, K(a)[ty], K(b)[tx]]`.

use super::conv::with_cols;
use super::im2col::{Geometry, im2col};
use super::matmul::{View, matmul};

/// Kernel rows (or columns) of phase `a`, in window order.
const TAPS: [[usize; 2]; 2] = [[3, 1], [2, 0]];

/// Whether a transposed convolution's im2col geometry (over its output) is the one this
/// covers, and big enough for the phase split to pay (below, the column path is as fast).
pub fn covers(geo: &Geometry) -> bool {
    geo.kernel == [4, 4]
        && geo.stride == [2, 2]
        && geo.pad == [1, 1]
        && geo.height == 2 * geo.out[0]
        && geo.width == 2 * geo.out[1]
        && geo.out[0] * geo.out[1] >= MIN_PIXELS
}

/// Input pixels from which the phase split is used.
const MIN_PIXELS: usize = 16 * 16;

/// `y = conv_transpose(x, w)` for `batch` images `x` `[C, H, W]` with weight `w`
/// `[C, O, 4, 4]`; returns `[batch, O, 2H, 2W]`.
pub fn forward(x: &[f32], batch: usize, c: usize, hw: [usize; 2], w: &[f32], o: usize) -> Vec<f32> {
    let [h, wd] = hw;
    let (plane, positions) = (h * wd, h * wd);
    assert_eq!(x.len(), batch * c * plane, "input does not match its shape");
    assert_eq!(w.len(), c * o * 16, "weight does not match its shape");
    let rows = c * 4;
    // The four phases' weight matrices [O, C·2·2].
    let phases: Vec<Vec<f32>> = (0..4)
        .map(|phase| {
            let (a, b) = (phase / 2, phase % 2);
            let mut m = vec![0.0; o * rows];
            for oc in 0..o {
                for ic in 0..c {
                    for ty in 0..2 {
                        for tx in 0..2 {
                            let (ky, kx) = (TAPS[a][ty], TAPS[b][tx]);
                            m[oc * rows + ic * 4 + ty * 2 + tx] =
                                w[((ic * o + oc) * 4 + ky) * 4 + kx];
                        }
                    }
                }
            }
            m
        })
        .collect();
    let mut y = vec![0.0; batch * o * 4 * plane];
    with_cols(rows * positions + o * positions, |buf| {
        let (cols, res) = buf.split_at_mut(rows * positions);
        for n in 0..batch {
            let image = &x[n * c * plane..(n + 1) * c * plane];
            let out = &mut y[n * o * 4 * plane..(n + 1) * o * 4 * plane];
            for (phase, weights) in phases.iter().enumerate() {
                let (a, b) = (phase / 2, phase % 2);
                let geo = Geometry {
                    channels: c,
                    height: h,
                    width: wd,
                    kernel: [2, 2],
                    stride: [1, 1],
                    pad: [1 - a, 1 - b],
                    out: [h, wd],
                };
                im2col(image, &geo, cols);
                matmul(
                    res,
                    View::row_major(weights, o, rows),
                    View::row_major(cols, rows, positions),
                    false,
                );
                interleave(res, out, o, [h, wd], [a, b]);
            }
        }
    });
    y
}

/// Write phase `(a, b)`'s result `[O, H·W]` into every other pixel of `out` `[O, 2H, 2W]`.
fn interleave(res: &[f32], out: &mut [f32], o: usize, [h, w]: [usize; 2], [a, b]: [usize; 2]) {
    let ow = 2 * w;
    for oc in 0..o {
        let src = &res[oc * h * w..(oc + 1) * h * w];
        let dst = &mut out[oc * 4 * h * w..(oc + 1) * 4 * h * w];
        for i in 0..h {
            let row = &mut dst[(2 * i + a) * ow..(2 * i + a + 1) * ow];
            for (j, &v) in src[i * w..(i + 1) * w].iter().enumerate() {
                row[2 * j + b] = v;
            }
        }
    }
}

//! The geometry of one 2-D convolution over one image, and the two data movements every
//! kernel here is built from: `im2col` (gather each output position's receptive field into a
//! column, so the convolution is one GEMM) and its adjoint `col2im` (scatter-add columns back
//! onto the image, which is both the input gradient of a convolution and the forward pass of a
//! transposed one).
//!
//! Images are one batch item in NCHW order, `[channels, height, width]`, contiguous. Columns
//! are `[channels · kh · kw, out_h · out_w]`, row-major with a row stride `ld` ≥ out_h · out_w
//! (so a batch's images sit side by side in one matrix): row `(c, ky, kx)` holds, for every
//! output position `(oy, ox)`, the pixel `(c, oy·s − pad_top + ky, ox·s − pad_left + kx)`, or 0
//! outside the image.

use rayon::prelude::*;

/// A convolution's shape for one image: the image it reads, the kernel, the stride, the
/// padding and the grid of output positions (dilation 1, one group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Channels of the image the kernel slides over.
    pub channels: usize,
    /// Image height and width.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride along y and x.
    pub stride: [usize; 2],
    /// Padding before the first row and the first column.
    pub pad: [usize; 2],
    /// Output positions along y and x.
    pub out: [usize; 2],
}

impl Geometry {
    /// Rows of the column matrix: channels × kernel taps.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of the column matrix: output positions.
    pub fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Pixels in one channel of the image.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }

    /// For kernel row `ky`, the output rows that read inside the image, and the image row the
    /// first of them reads: `(first_oy, end_oy)` half-open.
    fn valid(&self, axis: usize, k: usize) -> (usize, usize) {
        let (size, s, p, n) = (
            [self.height, self.width][axis],
            self.stride[axis],
            self.pad[axis],
            self.out[axis],
        );
        // i = o·s + k − p must satisfy 0 ≤ i < size.
        let first = p.saturating_sub(k).div_ceil(s);
        let end = if size + p <= k {
            0
        } else {
            ((size + p - k - 1) / s + 1).min(n)
        };
        (first.min(end), end)
    }
}

/// Gather `image` (`[channels, height, width]`) into `cols` (`rows` rows of `positions`
/// values, `ld` apart: `cols` holds at least `(rows − 1)·ld + positions` values).
pub fn im2col(image: &[f32], geo: &Geometry, cols: &mut [f32], ld: usize) {
    let positions = geo.positions();
    debug_assert_eq!(image.len(), geo.channels * geo.plane());
    assert!(ld >= positions && cols.len() >= (geo.rows() - 1) * ld + positions);
    cols.par_chunks_mut(ld)
        .take(geo.rows())
        .enumerate()
        .for_each(|(row, out)| gather_row(image, geo, row, 0..geo.out[0], &mut out[..positions]));
}

/// [`im2col`] of the output rows `oys` only, on this thread: `cols` gets `rows` rows of
/// `oys.len() · out_w` values, `ld` apart.
pub fn im2col_rows(
    image: &[f32],
    geo: &Geometry,
    oys: std::ops::Range<usize>,
    cols: &mut [f32],
    ld: usize,
) {
    let positions = oys.len() * geo.out[1];
    debug_assert_eq!(image.len(), geo.channels * geo.plane());
    assert!(oys.end <= geo.out[0]);
    assert!(ld >= positions && cols.len() >= (geo.rows() - 1) * ld + positions);
    for (row, out) in cols.chunks_mut(ld).take(geo.rows()).enumerate() {
        gather_row(image, geo, row, oys.clone(), &mut out[..positions]);
    }
}

/// Row `row` = `(c, ky, kx)` of the columns, for the output rows `oys`, into `out`.
fn gather_row(
    image: &[f32],
    geo: &Geometry,
    row: usize,
    oys: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let [kh, kw] = geo.kernel;
    let c = row / (kh * kw);
    let ky = row / kw % kh;
    let kx = row % kw;
    let plane = &image[c * geo.plane()..(c + 1) * geo.plane()];
    let (y0, y1) = geo.valid(0, ky);
    let (x0, x1) = geo.valid(1, kx);
    let [sy, sx] = geo.stride;
    let ow = geo.out[1];
    let first = oys.start;
    for oy in oys {
        let dst = &mut out[(oy - first) * ow..(oy - first + 1) * ow];
        if oy < y0 || oy >= y1 {
            dst.fill(0.0);
            continue;
        }
        let iy = oy * sy + ky - geo.pad[0];
        let src = &plane[iy * geo.width..(iy + 1) * geo.width];
        dst[..x0].fill(0.0);
        dst[x1.max(x0)..].fill(0.0);
        if x1 <= x0 {
            continue;
        }
        let ix0 = x0 * sx + kx - geo.pad[1];
        match sx {
            1 => dst[x0..x1].copy_from_slice(&src[ix0..ix0 + (x1 - x0)]),
            // Every other element, written as pairs so that the loop vectorises (an index
            // `ix0 + 2j` kept it scalar: the encoders' gathers were 7 % of inference).
            2 => {
                let (dst, n) = (&mut dst[x0..x1], x1 - x0);
                let pairs = src[ix0..ix0 + 2 * (n - 1)].chunks_exact(2);
                for (d, pair) in dst[..n - 1].iter_mut().zip(pairs) {
                    *d = pair[0];
                }
                dst[n - 1] = src[ix0 + 2 * (n - 1)];
            }
            _ => {
                for (j, d) in dst[x0..x1].iter_mut().enumerate() {
                    *d = src[ix0 + j * sx];
                }
            }
        }
    }
}

/// Scatter-add `cols` (rows `ld` apart, as [`im2col`] writes them) onto `image`
/// (`[channels, height, width]`), which is overwritten: the adjoint of [`im2col`].
pub fn col2im(cols: &[f32], geo: &Geometry, image: &mut [f32], ld: usize) {
    let [kh, kw] = geo.kernel;
    let positions = geo.positions();
    debug_assert_eq!(image.len(), geo.channels * geo.plane());
    assert!(ld >= positions && cols.len() >= (geo.rows() - 1) * ld + positions);
    let taps = kh * kw;
    if doubles(geo) {
        return col2im_doubling(cols, geo, image, ld);
    }
    image
        .par_chunks_mut(geo.plane())
        .enumerate()
        .for_each(|(c, plane)| {
            plane.fill(0.0);
            let [sy, sx] = geo.stride;
            let ow = geo.out[1];
            for tap in 0..taps {
                let (ky, kx) = (tap / kw, tap % kw);
                let start = (c * taps + tap) * ld;
                let row = &cols[start..start + positions];
                let (y0, y1) = geo.valid(0, ky);
                let (x0, x1) = geo.valid(1, kx);
                if x1 <= x0 {
                    continue;
                }
                for oy in y0..y1 {
                    let iy = oy * sy + ky - geo.pad[0];
                    let dst = &mut plane[iy * geo.width..(iy + 1) * geo.width];
                    let src = &row[oy * ow + x0..oy * ow + x1];
                    let ix0 = x0 * sx + kx - geo.pad[1];
                    if sx == 1 {
                        for (d, s) in dst[ix0..ix0 + src.len()].iter_mut().zip(src) {
                            *d += s;
                        }
                    } else {
                        for (j, s) in src.iter().enumerate() {
                            dst[ix0 + j * sx] += s;
                        }
                    }
                }
            }
        });
}

/// Whether `geo` is the 4×4, stride 2, padding 1 convolution of an image exactly twice its
/// output grid: every decoder layer of the U-Net and every stride-2 layer's input gradient.
fn doubles(geo: &Geometry) -> bool {
    geo.kernel == [4, 4]
        && geo.stride == [2, 2]
        && geo.pad == [1, 1]
        && geo.height == 2 * geo.out[0]
        && geo.width == 2 * geo.out[1]
}

/// [`col2im`] for the geometries [`doubles`] accepts, as a gather: each image pixel is the sum
/// of at most 2 × 2 column entries, so each image row is cleared (in cache) and takes one
/// contiguous pass per kernel row that reaches it (two), each adding both of a pixel pair's
/// horizontal taps — instead of 16 strided scatter passes over the whole plane.
///
/// With `T(ky, kx)` the column row of one tap over the `out` grid: image row `2i + 0` takes
/// `ky = 1` at grid row `i` and `ky = 3` at `i − 1`; row `2i + 1` takes `ky = 2` at `i` and
/// `ky = 0` at `i + 1`; columns alike with `kx`.
fn col2im_doubling(cols: &[f32], geo: &Geometry, image: &mut [f32], ld: usize) {
    let [oh, ow] = geo.out;
    // The (tap, grid offset) pairs of output parity 0 and 1.
    const PAIRS: [[(usize, isize); 2]; 2] = [[(1, 0), (3, -1)], [(2, 0), (0, 1)]];
    image
        .par_chunks_mut(geo.plane())
        .enumerate()
        .for_each(|(c, plane)| {
            let tap_row = |ky: usize, kx: usize| &cols[(c * 16 + ky * 4 + kx) * ld..][..oh * ow];
            for (iy, dst) in plane.chunks_exact_mut(geo.width).enumerate() {
                let (i, py) = (iy / 2, iy % 2);
                dst.fill(0.0);
                for &(ky, dy) in &PAIRS[py] {
                    let Some(gy) = i.checked_add_signed(dy).filter(|&g| g < oh) else {
                        continue;
                    };
                    // Even pixels: kx = 1 at j, kx = 3 at j − 1; odd: kx = 2 at j, kx = 0 at j + 1.
                    let row = |kx| &tap_row(ky, kx)[gy * ow..(gy + 1) * ow];
                    let (t0, t1, t2, t3) = (row(0), row(1), row(2), row(3));
                    add_pairs(dst, [t0, t1, t2, t3]);
                }
            }
        });
}

/// One image row's pixel pairs `j` (`dst[2j]`, `dst[2j + 1]`) of [`col2im_doubling`]: the
/// first gains `t1[j] + t3[j − 1]`, the second `t2[j] + t0[j + 1]`, taps outside the row left
/// out. The edges are done apart so the middle loop has no tests and vectorises.
fn add_pairs(dst: &mut [f32], [t0, t1, t2, t3]: [&[f32]; 4]) {
    let ow = t1.len();
    debug_assert_eq!(dst.len(), 2 * ow);
    if ow == 1 {
        dst[0] += t1[0];
        dst[1] += t2[0];
        return;
    }
    dst[0] += t1[0];
    dst[1] += t2[0] + t0[1];
    let middle = dst[2..2 * (ow - 1)].chunks_exact_mut(2);
    let even = t1[1..ow - 1].iter().zip(&t3[..ow - 2]);
    let odd = t2[1..ow - 1].iter().zip(&t0[2..]);
    for (px, ((a, b), (c, d))) in middle.zip(even.zip(odd)) {
        px[0] += a + b;
        px[1] += c + d;
    }
    dst[2 * ow - 2] += t1[ow - 1] + t3[ow - 2];
    dst[2 * ow - 1] += t2[ow - 1];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(c: usize, h: usize, w: usize, k: usize, s: usize, p: usize) -> Geometry {
        Geometry {
            channels: c,
            height: h,
            width: w,
            kernel: [k, k],
            stride: [s, s],
            pad: [p, p],
            out: [(h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1],
        }
    }

    fn naive_im2col(image: &[f32], g: &Geometry) -> Vec<f32> {
        let mut cols = vec![0.0; g.rows() * g.positions()];
        for c in 0..g.channels {
            for ky in 0..g.kernel[0] {
                for kx in 0..g.kernel[1] {
                    let row = (c * g.kernel[0] + ky) * g.kernel[1] + kx;
                    for oy in 0..g.out[0] {
                        for ox in 0..g.out[1] {
                            let iy = (oy * g.stride[0] + ky) as isize - g.pad[0] as isize;
                            let ix = (ox * g.stride[1] + kx) as isize - g.pad[1] as isize;
                            if iy >= 0
                                && ix >= 0
                                && (iy as usize) < g.height
                                && (ix as usize) < g.width
                            {
                                cols[row * g.positions() + oy * g.out[1] + ox] =
                                    image[(c * g.height + iy as usize) * g.width + ix as usize];
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn im2col_matches_the_definition_for_every_layer_kind() {
        for (c, h, w, k, s, p) in [
            (3, 8, 8, 4, 2, 1),
            (2, 7, 5, 4, 2, 1),
            (2, 2, 2, 4, 2, 1),
            (1, 2, 3, 4, 2, 1),
            (3, 9, 6, 4, 1, 1),
            (2, 5, 5, 3, 1, 0),
            (2, 4, 4, 4, 1, 2),
        ] {
            let g = geo(c, h, w, k, s, p);
            let image = values(c * h * w, 7);
            let mut cols = vec![f32::NAN; g.rows() * g.positions()];
            im2col(&image, &g, &mut cols, g.positions());
            let want = naive_im2col(&image, &g);
            assert_eq!(cols, want, "{g:?}");
            // A band of output rows: those columns of the whole.
            let (oy0, oy1) = (g.out[0] / 3, g.out[0] - g.out[0] / 4);
            let band = (oy1 - oy0) * g.out[1];
            let mut part = vec![f32::NAN; g.rows() * band];
            im2col_rows(&image, &g, oy0..oy1, &mut part, band);
            for row in 0..g.rows() {
                let whole = &want[row * g.positions()..][oy0 * g.out[1]..oy1 * g.out[1]];
                assert_eq!(
                    &part[row * band..(row + 1) * band],
                    whole,
                    "{g:?} row {row}"
                );
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), y> = <x, col2im(y)> for all x, y.
        // The doubling geometries (8×8, 4×6, 2×2, the last two rows or columns at its edges
        // only) and two general ones.
        for (c, h, w, k, s, p) in [
            (3, 8, 8, 4, 2, 1),
            (2, 4, 6, 4, 2, 1),
            (2, 2, 2, 4, 2, 1),
            (2, 7, 5, 4, 2, 1),
            (3, 9, 6, 4, 1, 1),
        ] {
            let g = geo(c, h, w, k, s, p);
            let x = values(c * h * w, 3);
            let y = values(g.rows() * g.positions(), 11);
            let mut cols = vec![0.0; y.len()];
            im2col(&x, &g, &mut cols, g.positions());
            let mut back = vec![f32::NAN; x.len()];
            col2im(&y, &g, &mut back, g.positions());
            let lhs: f64 = cols.iter().zip(&y).map(|(a, b)| (a * b) as f64).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| (a * b) as f64).sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: {lhs} vs {rhs}"
            );
        }
    }
}

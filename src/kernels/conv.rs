//! Convolution and transposed convolution, forward and backward, on plain NCHW slices.
//!
//! Six passes, three shapes of work. With `cols = im2col(image)` over a [`Geometry`] and a
//! weight matrix `w` of `m` rows by `geometry.rows()` columns:
//!
//! | pass | what | is |
//! |---|---|---|
//! | conv forward | `y = w · cols(x)` | [`gather_gemm`] |
//! | conv input gradient | `dx = col2im(wᵀ · dy)` | [`gemm_scatter`] |
//! | conv weight gradient | `dw = Σ dy · cols(x)ᵀ` | [`weight_grad`] |
//! | transposed forward | `y = col2im(wᵀ · x)` | [`gemm_scatter`] |
//! | transposed input gradient | `dx = w · cols(dy)` | [`gather_gemm`] |
//! | transposed weight gradient | `dw = Σ x · cols(dy)ᵀ` | [`weight_grad`] |
//!
//! A transposed convolution is the adjoint of a convolution whose image is the transposed
//! one's *output*; its weight `[in, out, kh, kw]` is that convolution's `[out, in, kh, kw]`, so
//! one geometry and one weight layout serve both. Every pass is one large GEMM over the whole
//! batch (the images' columns side by side; at batch 1 no operand is copied, transposes are
//! strides); the column buffer is per thread and reused, so steady-state calls allocate only
//! their result.

use super::im2col::{Geometry, col2im, im2col, im2col_rows};
use super::matmul::{SharedDst, View, matmul, matmul_add_here, matmul_block, matmul_split_inner};
use super::quant;
use rayon::prelude::*;
use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's column buffer, grown to `len` (contents unspecified).
fn with_cols<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    super::scratch::with_buffer(&SCRATCH, len, f)
}

/// The `(image n, row o)` block pairs of `[batch, m, positions]` (offset there) and of
/// `[m, batch · positions]` (each image's block side by side; offset there).
fn blocks(batch: usize, m: usize, positions: usize) -> impl Iterator<Item = (usize, usize)> {
    let ld = batch * positions;
    (0..batch)
        .flat_map(move |n| (0..m).map(move |o| ((n * m + o) * positions, o * ld + n * positions)))
}

/// `[batch, m, positions]` → `[m, batch · positions]`.
fn to_wide(nchw: &[f32], wide: &mut [f32], batch: usize, m: usize, positions: usize) {
    for (a, b) in blocks(batch, m, positions) {
        wide[b..b + positions].copy_from_slice(&nchw[a..a + positions]);
    }
}

/// `[m, batch · positions]` → `[batch, m, positions]`.
fn from_wide(wide: &[f32], nchw: &mut [f32], batch: usize, m: usize, positions: usize) {
    for (a, b) in blocks(batch, m, positions) {
        nchw[a..a + positions].copy_from_slice(&wide[b..b + positions]);
    }
}

/// The columns of `batch` images side by side in `cols` (`[rows, batch · positions]`).
fn batch_columns(image: &[f32], batch: usize, geo: &Geometry, cols: &mut [f32]) {
    let (positions, per_image) = (geo.positions(), geo.channels * geo.plane());
    for n in 0..batch {
        im2col(
            &image[n * per_image..(n + 1) * per_image],
            geo,
            &mut cols[n * positions..],
            batch * positions,
        );
    }
}

/// `out[n] = w · im2col(image[n])` for each of `batch` images, as one GEMM over the images'
/// columns side by side.
///
/// `image`: `[batch, geo.channels, geo.height, geo.width]`; `w`: `[m, geo.rows()]`;
/// returns `[batch, m, geo.positions()]`.
pub fn gather_gemm(image: &[f32], batch: usize, geo: &Geometry, w: &[f32], m: usize) -> Vec<f32> {
    let (rows, positions) = (geo.rows(), geo.positions());
    let per_image = geo.channels * geo.plane();
    assert_eq!(
        image.len(),
        batch * per_image,
        "image does not match its geometry"
    );
    let ld = batch * positions;
    let w = View::row_major(w, m, rows);
    let mut out = vec![0.0; batch * m * positions];
    if let Some(band) = band_rows(rows, m, geo, batch) {
        gather_gemm_banded(image, batch, geo, (w, m), &mut out, band);
        return out;
    }
    let wide = if batch > 1 { m * ld } else { 0 };
    with_cols(rows * ld + wide, |buf| {
        let (cols, tmp) = buf.split_at_mut(rows * ld);
        batch_columns(image, batch, geo, cols);
        let cols = View::row_major(cols, rows, ld);
        if batch == 1 {
            matmul(&mut out, w, cols, false);
        } else {
            matmul(tmp, w, cols, false);
            from_wide(tmp, &mut out, batch, m, positions);
        }
    });
    out
}

/// A band's columns are kept about this small, to stay in the core's L2 cache.
const BAND_BYTES: usize = 512 * 1024;
/// Whole column matrices up to this size are gathered in one go (they stay in cache anyway).
const UNBANDED_BYTES: usize = 4 * 1024 * 1024;

/// Every band multiplies with the whole of the other operand (the weight forward, the weight
/// gradient's running sum backward): it must stay in the core's cache too, or each band
/// brings it back from memory (measured 1.3× slower than no bands on the PatchGAN's
/// 512 × 4096 weight at ndf 64).
const STATIONARY_BYTES: usize = 1024 * 1024;
/// Narrower bands make GEMMs too thin to run at speed.
const MIN_BAND_POSITIONS: usize = 128;

/// The output rows per band when [`gather_gemm`] or [`weight_grad`] should work band by band,
/// else `None`: large column matrices only, a small `m × rows` operand, bands of a useful
/// width and at least a few bands per thread.
fn band_rows(rows: usize, m: usize, geo: &Geometry, batch: usize) -> Option<usize> {
    let [oh, ow] = geo.out;
    let f32s = std::mem::size_of::<f32>();
    let bytes = rows * oh * ow * batch * f32s;
    let band = (BAND_BYTES / (rows * ow * f32s).max(1)).clamp(1, oh);
    let bands = batch * oh.div_ceil(band);
    (bytes > UNBANDED_BYTES
        && m * rows * f32s <= STATIONARY_BYTES
        && band * ow >= MIN_BAND_POSITIONS
        && bands >= 4 * rayon::current_num_threads())
    .then_some(band)
}

/// [`gather_gemm`] band by band: each task gathers a band of output rows of one image into
/// its thread's column buffer, which stays in cache, and multiplies it straight into its
/// columns of `out`, so the column matrix never travels to memory and back.
fn gather_gemm_banded(
    image: &[f32],
    batch: usize,
    geo: &Geometry,
    (w, m): (View<'_>, usize),
    out: &mut [f32],
    band: usize,
) {
    let (rows, positions, ow) = (geo.rows(), geo.positions(), geo.out[1]);
    let per_image = geo.channels * geo.plane();
    let dst = SharedDst::new(out, positions);
    let tasks: Vec<(usize, usize)> = (0..batch)
        .flat_map(|n| (0..geo.out[0]).step_by(band).map(move |oy| (n, oy)))
        .collect();
    tasks.into_par_iter().for_each(|(n, oy0)| {
        let oys = oy0..(oy0 + band).min(geo.out[0]);
        let width = oys.len() * ow;
        with_cols(rows * width, |cols| {
            let img = &image[n * per_image..(n + 1) * per_image];
            im2col_rows(img, geo, oys.clone(), cols, width);
            let offset = n * m * positions + oys.start * ow;
            // SAFETY: each task writes only its image's columns `oys` (disjoint between tasks).
            unsafe { matmul_block(dst, offset, w, View::row_major(cols, rows, width)) };
        });
    });
}

/// `image[n] = col2im(wᵀ · src[n])` for each of `batch` items, as one GEMM over the items
/// side by side.
///
/// `src`: `[batch, m, geo.positions()]`; `w`: `[m, geo.rows()]`; returns
/// `[batch, geo.channels, geo.height, geo.width]`.
pub fn gemm_scatter(src: &[f32], batch: usize, geo: &Geometry, w: &[f32], m: usize) -> Vec<f32> {
    let (rows, positions) = (geo.rows(), geo.positions());
    let per_image = geo.channels * geo.plane();
    assert_eq!(
        src.len(),
        batch * m * positions,
        "input does not match its geometry"
    );
    let ld = batch * positions;
    let wt = View::row_major(w, m, rows).t();
    let mut image = vec![0.0; batch * per_image];
    let wide = if batch > 1 { m * ld } else { 0 };
    with_cols(rows * ld + wide, |buf| {
        let (cols, tmp) = buf.split_at_mut(rows * ld);
        if batch == 1 {
            matmul(cols, wt, View::row_major(src, m, positions), false);
        } else {
            to_wide(src, tmp, batch, m, positions);
            matmul(cols, wt, View::row_major(tmp, m, ld), false);
        }
        for (n, dst) in image.chunks_exact_mut(per_image).enumerate() {
            col2im(&cols[n * positions..], geo, dst, ld);
        }
    });
    image
}

/// `Σₙ a[n] · im2col(image[n])ᵀ`: the weight gradient, `[m, geo.rows()]`, as one GEMM over
/// the images side by side.
///
/// `a`: `[batch, m, geo.positions()]`; `image`: `[batch, geo.channels, geo.height, geo.width]`.
pub fn weight_grad(a: &[f32], image: &[f32], batch: usize, geo: &Geometry, m: usize) -> Vec<f32> {
    let (rows, positions) = (geo.rows(), geo.positions());
    let per_image = geo.channels * geo.plane();
    assert_eq!(
        a.len(),
        batch * m * positions,
        "gradient does not match its geometry"
    );
    assert_eq!(
        image.len(),
        batch * per_image,
        "image does not match its geometry"
    );
    if let Some(band) = band_rows(rows, m, geo, batch) {
        return weight_grad_banded(a, image, batch, geo, m, band);
    }
    let ld = batch * positions;
    let mut dw = vec![0.0; m * rows];
    let wide = if batch > 1 { m * ld } else { 0 };
    with_cols(rows * ld + wide, |buf| {
        let (cols, tmp) = buf.split_at_mut(rows * ld);
        batch_columns(image, batch, geo, cols);
        let lhs = if batch == 1 {
            View::row_major(a, m, positions)
        } else {
            to_wide(a, tmp, batch, m, positions);
            View::row_major(tmp, m, ld)
        };
        matmul_split_inner(&mut dw, lhs, View::row_major(cols, rows, ld).t(), false);
    });
    dw
}

/// [`weight_grad`] band by band: each task gathers a band of one image's columns (in cache)
/// and adds its product into its thread's own sum; the threads' sums are added at the end.
fn weight_grad_banded(
    a: &[f32],
    image: &[f32],
    batch: usize,
    geo: &Geometry,
    m: usize,
    band: usize,
) -> Vec<f32> {
    let (rows, positions, ow) = (geo.rows(), geo.positions(), geo.out[1]);
    let per_image = geo.channels * geo.plane();
    let tasks: Vec<(usize, usize)> = (0..batch)
        .flat_map(|n| (0..geo.out[0]).step_by(band).map(move |oy| (n, oy)))
        .collect();
    tasks
        .into_par_iter()
        .fold(
            || vec![0.0; m * rows],
            |mut dw, (n, oy0)| {
                let oys = oy0..(oy0 + band).min(geo.out[0]);
                let width = oys.len() * ow;
                with_cols(rows * width, |cols| {
                    let img = &image[n * per_image..(n + 1) * per_image];
                    im2col_rows(img, geo, oys.clone(), cols, width);
                    let grad = &a[n * m * positions..(n + 1) * m * positions];
                    let lhs = View::row_major(grad, m, positions).columns(oys.start * ow, width);
                    matmul_add_here(&mut dw, lhs, View::row_major(cols, rows, width).t());
                });
                dw
            },
        )
        .reduce_with(|mut x, y| {
            x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
            x
        })
        .unwrap_or_else(|| vec![0.0; m * rows])
}

/// [`gather_gemm`] with the weight quantised ([`quant::Weights`] of `m` rows by
/// `geo.rows()`) and each image's values quantised on the way into the product; `None` when an
/// image holds a value that is not finite.
pub fn gather_gemm_quantized(
    image: &[f32],
    batch: usize,
    geo: &Geometry,
    w: &quant::Weights,
) -> Option<Vec<f32>> {
    let (rows, positions) = (geo.rows(), geo.positions());
    let per_image = geo.channels * geo.plane();
    let [m, k] = w.shape();
    assert_eq!(k, rows, "weight does not match the geometry");
    assert_eq!(
        image.len(),
        batch * per_image,
        "image does not match its geometry"
    );
    let mut out = vec![0.0; batch * m * positions];
    for (img, out) in image
        .chunks_exact(per_image)
        .zip(out.chunks_exact_mut(m * positions))
    {
        // Padding adds zeros only: the image's range is its columns' range.
        let step = quant::activation_step(img, rows)?;
        let packed = with_cols(rows * positions, |cols| {
            im2col(img, geo, cols, positions);
            quant::pack_activations(cols, positions, [rows, positions], step)
        });
        quant::product(out, w, &packed, positions, step);
    }
    Some(out)
}

/// [`gemm_scatter`] with the weight quantised ([`quant::Weights`] of `geo.rows()` rows by
/// `m`: the weight's transpose) and each item's values quantised on the way into the product;
/// `None` when an item holds a value that is not finite.
pub fn gemm_scatter_quantized(
    src: &[f32],
    batch: usize,
    geo: &Geometry,
    wt: &quant::Weights,
) -> Option<Vec<f32>> {
    let (rows, positions) = (geo.rows(), geo.positions());
    let per_image = geo.channels * geo.plane();
    let [r, m] = wt.shape();
    assert_eq!(r, rows, "weight does not match the geometry");
    assert_eq!(
        src.len(),
        batch * m * positions,
        "input does not match its geometry"
    );
    let mut image = vec![0.0; batch * per_image];
    for (item, dst) in src
        .chunks_exact(m * positions)
        .zip(image.chunks_exact_mut(per_image))
    {
        let step = quant::activation_step(item, m)?;
        let packed = quant::pack_activations(item, positions, [m, positions], step);
        with_cols(rows * positions, |cols| {
            quant::product(cols, wt, &packed, positions, step);
            col2im(cols, geo, dst, positions);
        });
    }
    Some(image)
}

/// Add `bias[c]` to every element of channel `c` of `x` (`[batch, channels, plane]`).
pub fn add_bias(x: &mut [f32], bias: &[f32], plane: usize) {
    if plane == 0 {
        return;
    }
    for (i, chunk) in x.chunks_exact_mut(plane).enumerate() {
        let b = bias[i % bias.len()];
        chunk.iter_mut().for_each(|v| *v += b);
    }
}

/// The bias gradient: the sum of `dy` (`[batch, channels, plane]`) per channel.
pub fn bias_grad(dy: &[f32], channels: usize, plane: usize) -> Vec<f32> {
    let mut db = vec![0.0f64; channels];
    if plane > 0 {
        for (i, chunk) in dy.chunks_exact(plane).enumerate() {
            db[i % channels] += chunk.iter().map(|&v| v as f64).sum::<f64>();
        }
    }
    db.into_iter().map(|v| v as f32).collect()
}

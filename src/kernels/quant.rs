//! Reduced-precision products for the live canvas: `dst = A · X` with `A` a weight matrix
//! quantised once to 8-bit values per row (a scale per row) and `X` activations quantised per
//! call to 12-bit values (one scale per product), multiplied in 16-bit lanes with 32-bit sums.
//!
//! Why 16-bit lanes and not bytes: on AVX2 without VNNI the byte product (`vpmaddubsw`) adds
//! pairs into saturating 16-bit sums that must be widened again (`vpmaddwd` by ones) before
//! they can be accumulated, so it does no more multiply-adds per cycle than `vpmaddwd` on
//! 16-bit values — which adds pairs straight into 32-bit sums, never saturates, and leaves
//! room for 12-bit activations (16× finer than bytes) at the same speed. Each `vpmaddwd` does
//! 16 multiply-adds where an fp32 FMA does 8; the packed weight is half the fp32 bytes.
//!
//! The 32-bit sums cannot overflow: the activations' range is chosen per product so that
//! `k · 127 · max|x|` stays below 2³¹ (12 bits up to k = 8,256, the widest U-Net layer at
//! 512 channels; fewer bits beyond).
//!
//! Layout: the weight in panels of 6 rows, each a run of inner-index pairs (6 rows × 2
//! values: one 32-bit broadcast per row); the activations in strips of 16 columns, each a run
//! of pairs (16 columns × 2 values: two `vpmaddwd` operands). A 6 × 16 tile keeps 12
//! accumulators of 8 lanes, 2 activation vectors and a broadcast in the 16 AVX registers,
//! and stores whole rows of the (row-major) destination. The inner dimension goes in blocks
//! that keep a task's slices of both operands in L1 and L2; each block's sums are scaled and
//! added into the destination.

use rayon::prelude::*;

/// Rows of one register tile (broadcast weights).
const TILE_ROWS: usize = 6;
/// Columns of one register tile: two 8-lane vectors.
const TILE_COLS: usize = 16;
/// The largest weight after quantisation.
const WEIGHT_MAX: f32 = 127.0;
/// The largest activation after quantisation, when the sums allow it (12 bits).
const ACTIVATION_MAX: f32 = 2047.0;
/// Strips per task (128 columns).
const STRIPS_PER_TASK: usize = 8;
/// Inner pairs per block: a strip's block is 8 KB, a panel's 3 KB.
const DEPTH: usize = 128;

/// Whether this CPU runs [`product`] (AVX2 and FMA).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// How many more multiply-adds per second [`product`]'s inner loop does than the same loop
/// in fp32 FMAs, measured once on one core (about 2 ms): about 2 where the core runs
/// 256-bit `vpmaddwd` at the FMA's rate (Intel since Skylake), about 1 where it has half as
/// many integer multipliers or splits 256-bit vectors (AMD Zen 1, measured 1.03). 0 without
/// AVX2.
pub fn speedup() -> f64 {
    static SPEEDUP: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *SPEEDUP.get_or_init(|| {
        if available() {
            x86::measured_speedup()
        } else {
            0.0
        }
    })
}

/// The instructions [`product`] runs on this CPU, for `bench` to print.
pub fn instruction_set() -> &'static str {
    if available() {
        "AVX2 (16-bit multiply-add)"
    } else {
        "none (fp32 instead)"
    }
}

/// A weight matrix of `m` rows by `k` quantised per row to 8-bit values and packed for the
/// tile.
#[derive(Debug, Clone)]
pub struct Weights {
    m: usize,
    k: usize,
    /// `k` rounded up to even, halved.
    pairs: usize,
    /// Panels of 6 rows: panel `p`, pair `c`, row `r`, half `h` at
    /// `[((p·pairs + c)·6 + r)·2 + h]`; rows past `m` and an odd `k`'s last half zero.
    packed: Vec<i16>,
    /// Each row's value of one step (0 for an all-zero row); `m` rounded up to 6.
    scales: Vec<f32>,
}

impl Weights {
    /// The matrix whose element `(r, c)` is `w[r · row_stride + c · col_stride]`, or `None`
    /// when a value is not finite (the fp32 path then shows what the model does with it).
    pub fn new(
        w: &[f32],
        [m, k]: [usize; 2],
        (row_stride, col_stride): (usize, usize),
    ) -> Option<Self> {
        let at = |r: usize, c: usize| w[r * row_stride + c * col_stride];
        if m > 0 && k > 0 {
            assert!(
                w.len() > (m - 1) * row_stride + (k - 1) * col_stride,
                "weight shorter than its shape"
            );
        }
        let panels = m.div_ceil(TILE_ROWS);
        let pairs = k.div_ceil(2);
        let mut scales = vec![0.0f32; panels * TILE_ROWS];
        for (r, scale) in scales.iter_mut().enumerate().take(m) {
            let mut largest = 0.0f32;
            for c in 0..k {
                let v = at(r, c);
                if !v.is_finite() {
                    return None;
                }
                largest = largest.max(v.abs());
            }
            // A row too small for a normal step (its inverse would be infinite) is a zero row.
            let step = largest / WEIGHT_MAX;
            *scale = if step >= f32::MIN_POSITIVE { step } else { 0.0 };
        }
        let mut packed = vec![0i16; panels * pairs * TILE_ROWS * 2];
        for (r, &scale) in scales.iter().enumerate().take(m) {
            let (p, i) = (r / TILE_ROWS, r % TILE_ROWS);
            let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            for c in 0..k {
                let at_packed = ((p * pairs + c / 2) * TILE_ROWS + i) * 2 + c % 2;
                packed[at_packed] = round(at(r, c) * inverse);
            }
        }
        Some(Self {
            m,
            k,
            pairs,
            packed,
            scales,
        })
    }

    /// Rows and inner dimension.
    pub fn shape(&self) -> [usize; 2] {
        [self.m, self.k]
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.packed.len() * 2 + self.scales.len() * 4
    }
}

/// `v` rounded to the nearest integer (halves to even, as the vector conversion does), as 16
/// bits; callers keep `|v|` within the quantised range.
fn round(v: f32) -> i16 {
    v.round_ties_even() as i16
}

/// The step of one activation unit for `x` feeding a product of inner dimension `k`, or `None`
/// when `x` holds a value that is not finite. All-zero `x` gets step 1.
pub fn activation_step(x: &[f32], k: usize) -> Option<f32> {
    // Eight lanes side by side (vectorised). `max` skips NaN; `v · 0` is NaN for NaN and for
    // infinities, so `poison` catches both.
    let (mut largest, mut poison) = ([0.0f32; 8], [0.0f32; 8]);
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            largest[i] = largest[i].max(c[i].abs());
            poison[i] += c[i] * 0.0;
        }
    }
    for &v in chunks.remainder() {
        largest[0] = largest[0].max(v.abs());
        poison[0] += v * 0.0;
    }
    let largest = largest.iter().fold(0.0f32, |m, &v| m.max(v));
    if !largest.is_finite() || !poison.iter().sum::<f32>().is_finite() {
        return None;
    }
    // k · 127 · top < 2³¹ keeps every 32-bit sum in range.
    let top = ACTIVATION_MAX.min(((i32::MAX as f64) / (k.max(1) as f64 * 127.0)).floor() as f32);
    // Values so small that their step would be subnormal (and its inverse infinite) count as
    // zeros: step 1 rounds them all to 0.
    Some(if largest / top >= f32::MIN_POSITIVE {
        largest / top
    } else {
        1.0
    })
}

/// `x` (`k × n` at row stride `ld`, values within `step · top`) quantised by `step` into
/// strips of 16 columns: strip `s`, pair `c`, column `j`, half `h` at
/// `[((s·pairs + c)·16 + j)·2 + h]`; columns past `n` and an odd `k`'s last half zero.
pub fn pack_activations(x: &[f32], ld: usize, [k, n]: [usize; 2], step: f32) -> Vec<i16> {
    let (strips, pairs) = (n.div_ceil(TILE_COLS), k.div_ceil(2));
    let inverse = 1.0 / step;
    let per_strip = pairs * TILE_COLS * 2;
    let mut out = vec![0i16; strips * per_strip];
    out.par_chunks_mut(per_strip * STRIPS_PER_TASK)
        .enumerate()
        .for_each(|(g, group)| {
            let first = g * STRIPS_PER_TASK;
            for c in 0..pairs {
                let even = &x[2 * c * ld..];
                let odd = (2 * c + 1 < k).then(|| &x[(2 * c + 1) * ld..]);
                for (s, strip) in group.chunks_exact_mut(per_strip).enumerate() {
                    let j0 = (first + s) * TILE_COLS;
                    let dst = &mut strip[c * TILE_COLS * 2..][..TILE_COLS * 2];
                    if j0 + TILE_COLS <= n {
                        let odd = odd.map(|o| &o[j0..j0 + TILE_COLS]);
                        x86::interleave(dst, &even[j0..j0 + TILE_COLS], odd, inverse);
                    } else {
                        for j in 0..n - j0 {
                            dst[2 * j] = round(even[j0 + j] * inverse);
                            dst[2 * j + 1] = odd.map_or(0, |o| round(o[j0 + j] * inverse));
                        }
                    }
                }
            }
        });
    out
}

/// `dst = (A · X) · scales` with `A` = `w` and `X` the `n` packed columns `x` (from
/// [`pack_activations`] at `step`); `dst` is row-major `m × n`.
///
/// # Panics
/// When the shapes disagree (a bug in the caller) or on a CPU without AVX2 ([`available`]).
pub fn product(dst: &mut [f32], w: &Weights, x: &[i16], n: usize, step: f32) {
    assert!(
        available(),
        "the quantised product needs AVX2 (see `available`)"
    );
    let (m, pairs) = (w.m, w.pairs);
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    let strips = n.div_ceil(TILE_COLS);
    assert_eq!(
        x.len(),
        strips * pairs * TILE_COLS * 2,
        "activations not packed for this weight"
    );
    dst.fill(0.0);
    if m == 0 || n == 0 || pairs == 0 {
        return;
    }
    let panels = m.div_ceil(TILE_ROWS);
    let groups = strips.div_ceil(STRIPS_PER_TASK);
    // Each task: a group of strips against a run of panels, block by block of the inner
    // dimension (the group's block in L2, each panel's in L1). Runs short enough for a few
    // tasks per thread.
    let wanted = 4 * rayon::current_num_threads();
    let run = panels.div_ceil(wanted.div_ceil(groups)).max(1);
    let runs = panels.div_ceil(run);
    let scales: Vec<f32> = w.scales.iter().map(|s| s * step).collect();
    let out = Shared(dst.as_mut_ptr());
    (0..groups * runs).into_par_iter().for_each(|task| {
        let (g, r) = (task / runs, task % runs);
        for c0 in (0..pairs).step_by(DEPTH) {
            let depth = DEPTH.min(pairs - c0);
            for s in g * STRIPS_PER_TASK..((g + 1) * STRIPS_PER_TASK).min(strips) {
                let j0 = s * TILE_COLS;
                let cols = TILE_COLS.min(n - j0);
                let b = &x[(s * pairs + c0) * TILE_COLS * 2..][..depth * TILE_COLS * 2];
                for p in r * run..((r + 1) * run).min(panels) {
                    let a = &w.packed[(p * pairs + c0) * TILE_ROWS * 2..][..depth * TILE_ROWS * 2];
                    let rows = TILE_ROWS.min(m - p * TILE_ROWS);
                    let scale = &scales[p * TILE_ROWS..][..TILE_ROWS];
                    // SAFETY: rows `p·6 .. p·6 + rows` × columns `j0 .. j0 + cols` lie inside
                    // `dst` (m × n); tasks write disjoint blocks (their panels' rows × their
                    // group's columns).
                    unsafe {
                        x86::tile(
                            a,
                            b,
                            depth,
                            (out.at(p * TILE_ROWS * n + j0), n),
                            scale,
                            [rows, cols],
                        );
                    }
                }
            }
        }
    });
}

/// The destination shared by the tasks of [`product`], which write disjoint elements.
struct Shared(*mut f32);
// SAFETY: see the writes in `product`: every element is written by exactly one task, and the
// slice it points into outlives the parallel loop.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The element `i` (a method, so closures capture the whole `Shared`).
    fn at(&self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{TILE_COLS, TILE_ROWS};
    use std::arch::x86_64::*;

    /// `dst[2j] = even[j] · inverse`, `dst[2j + 1] = odd[j] · inverse` (0 without `odd`),
    /// rounded, for 16 columns.
    pub fn interleave(dst: &mut [i16], even: &[f32], odd: Option<&[f32]>, inverse: f32) {
        assert!(
            dst.len() == 2 * TILE_COLS && even.len() == TILE_COLS,
            "one strip row"
        );
        assert!(odd.is_none_or(|o| o.len() == TILE_COLS), "one strip row");
        assert!(super::available(), "AVX2");
        // SAFETY: AVX2 is present; every slice holds the lengths asserted.
        unsafe {
            interleave_avx2(
                dst.as_mut_ptr(),
                even.as_ptr(),
                odd.map(<[f32]>::as_ptr),
                inverse,
            )
        }
    }

    /// [`interleave`].
    ///
    /// # Safety
    /// AVX2; `dst` valid for 32 writes, `even` and `odd` for 16 reads.
    #[target_feature(enable = "avx2")]
    unsafe fn interleave_avx2(
        dst: *mut i16,
        even: *const f32,
        odd: Option<*const f32>,
        inverse: f32,
    ) {
        let scale = _mm256_set1_ps(inverse);
        let low = _mm256_set1_epi32(0xFFFF);
        for half in 0..2 {
            // SAFETY: 8 values at 8·half of 16 (the caller's contract).
            unsafe {
                let e =
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(even.add(8 * half)), scale));
                let o = match odd {
                    Some(o) => {
                        _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(o.add(8 * half)), scale))
                    }
                    None => _mm256_setzero_si256(),
                };
                let pairs = _mm256_or_si256(_mm256_and_si256(e, low), _mm256_slli_epi32(o, 16));
                _mm256_storeu_si256(dst.add(16 * half).cast(), pairs);
            }
        }
    }

    /// `dst[i·ld + j] += scale[i] · Σ_c A[i, c] · X[c, j]` for `i < rows`, `j < cols`: `a` a
    /// panel's block of `depth` pairs, `b` a strip's.
    ///
    /// # Safety
    /// `dst` (the `(pointer, ld)`) must be valid for those elements and written by no other
    /// thread meanwhile.
    pub unsafe fn tile(
        a: &[i16],
        b: &[i16],
        depth: usize,
        (dst, ld): (*mut f32, usize),
        scale: &[f32],
        [rows, cols]: [usize; 2],
    ) {
        assert!(a.len() >= depth * TILE_ROWS * 2, "packed panel too short");
        assert!(b.len() >= depth * TILE_COLS * 2, "packed strip too short");
        assert!(
            rows <= TILE_ROWS && cols <= TILE_COLS && scale.len() >= TILE_ROWS,
            "tile shape"
        );
        assert!(super::available(), "AVX2 and FMA");
        // SAFETY: AVX2 and FMA are present; `a` and `b` hold `depth` packed pairs (asserted);
        // `dst` per the caller's contract.
        // Rows past `rows` multiply the panel's zero padding: computed, not stored.
        let sums = unsafe { tile_6x16(a.as_ptr(), b.as_ptr(), depth) };
        // SAFETY: the caller's contract; AVX2 and FMA are present.
        unsafe { add_scaled(&sums, (dst, ld), scale, [rows, cols]) }
    }

    /// The 6 × 16 tile of 32-bit sums over `depth` pairs, in registers.
    ///
    /// # Safety
    /// AVX2; `a` valid for depth·12 reads, `b` for depth·32.
    #[target_feature(enable = "avx2")]
    unsafe fn tile_6x16(a: *const i16, b: *const i16, depth: usize) -> [[__m256i; 2]; TILE_ROWS] {
        let mut acc = [[_mm256_setzero_si256(); 2]; TILE_ROWS];
        for c in 0..depth {
            // SAFETY: c < depth (the caller's contract).
            unsafe {
                let b0 = _mm256_loadu_si256(b.add(c * 32).cast());
                let b1 = _mm256_loadu_si256(b.add(c * 32 + 16).cast());
                let row = a.add(c * TILE_ROWS * 2);
                for (i, acc) in acc.iter_mut().enumerate() {
                    let w = _mm256_set1_epi32(row.add(i * 2).cast::<i32>().read_unaligned());
                    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(b0, w));
                    acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(b1, w));
                }
            }
        }
        acc
    }

    /// [`super::speedup`]: the 6 × 16 tile on a block in L1, against the same tile in fp32
    /// FMAs (what the fp32 kernels' inner loops do), best of 3 runs each.
    pub fn measured_speedup() -> f64 {
        use std::time::Instant;
        const DEPTH: usize = 128;
        const REPS: usize = 400;
        let (a, b) = (vec![1i16; DEPTH * 12], vec![1i16; DEPTH * 32]);
        let (af, bf) = (vec![1.0f32; DEPTH * 6], vec![1.0f32; DEPTH * 16]);
        let best = |f: &dyn Fn()| {
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min)
        };
        // SAFETY (both closures): AVX2 and FMA are present (the caller checked `available`);
        // the blocks hold DEPTH pairs / values.
        let int = best(&|| {
            for _ in 0..REPS {
                std::hint::black_box(unsafe { tile_6x16(a.as_ptr(), b.as_ptr(), DEPTH) });
            }
        });
        let float = best(&|| {
            for _ in 0..REPS {
                std::hint::black_box(unsafe { fma_6x16(af.as_ptr(), bf.as_ptr(), DEPTH) });
            }
        });
        // Per pass: 2·DEPTH·96 multiply-adds in 16 bits, DEPTH·96 in fp32.
        2.0 * float / int.max(1e-9)
    }

    /// The fp32 twin of [`tile_6x16`] for [`measured_speedup`]: 6 broadcast weights × 16
    /// values, 12 FMA accumulators.
    ///
    /// # Safety
    /// AVX2 and FMA; `a` valid for depth·6 reads, `b` for depth·16.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma_6x16(a: *const f32, b: *const f32, depth: usize) -> [[__m256; 2]; TILE_ROWS] {
        let mut acc = [[_mm256_setzero_ps(); 2]; TILE_ROWS];
        for c in 0..depth {
            // SAFETY: c < depth (the caller's contract).
            unsafe {
                let b0 = _mm256_loadu_ps(b.add(c * 16));
                let b1 = _mm256_loadu_ps(b.add(c * 16 + 8));
                for (i, acc) in acc.iter_mut().enumerate() {
                    let w = _mm256_broadcast_ss(&*a.add(c * TILE_ROWS + i));
                    acc[0] = _mm256_fmadd_ps(b0, w, acc[0]);
                    acc[1] = _mm256_fmadd_ps(b1, w, acc[1]);
                }
            }
        }
        acc
    }

    /// `dst[i·ld + j] += scale[i] · sums[i][j]` for `i < rows`, `j < cols`.
    ///
    /// # Safety
    /// AVX2 and FMA; `dst` valid for those elements.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_scaled(
        sums: &[[__m256i; 2]; TILE_ROWS],
        (dst, ld): (*mut f32, usize),
        scale: &[f32],
        [rows, cols]: [usize; 2],
    ) {
        for (i, row) in sums.iter().enumerate().take(rows) {
            let s = _mm256_set1_ps(scale[i]);
            let v = [_mm256_cvtepi32_ps(row[0]), _mm256_cvtepi32_ps(row[1])];
            // SAFETY: row i < rows, columns < cols (the caller's contract).
            unsafe {
                let out = dst.add(i * ld);
                if cols == TILE_COLS {
                    for (h, v) in v.iter().enumerate() {
                        let o = out.add(8 * h);
                        _mm256_storeu_ps(o, _mm256_fmadd_ps(*v, s, _mm256_loadu_ps(o)));
                    }
                } else {
                    let mut lanes = [0.0f32; TILE_COLS];
                    _mm256_storeu_ps(lanes.as_mut_ptr(), v[0]);
                    _mm256_storeu_ps(lanes.as_mut_ptr().add(8), v[1]);
                    for (j, lane) in lanes.iter().enumerate().take(cols) {
                        *out.add(j) += lane * scale[i];
                    }
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    /// Never called: [`super::available`] is false here.
    pub fn measured_speedup() -> f64 {
        0.0
    }

    /// Never called: [`super::available`] is false here.
    pub fn interleave(_: &mut [i16], _: &[f32], _: Option<&[f32]>, _: f32) {
        unreachable!("the quantised product needs AVX2")
    }

    /// Never called: [`super::available`] is false here.
    pub unsafe fn tile(
        _: &[i16],
        _: &[i16],
        _: usize,
        _: (*mut f32, usize),
        _: &[f32],
        _: [usize; 2],
    ) {
        unreachable!("the quantised product needs AVX2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let h = (i as u32 ^ seed)
                    .wrapping_mul(2_654_435_761)
                    .rotate_left(13);
                (h % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The product from the same quantised integers, summed one by one: the kernel must equal
    /// it exactly (integer sums), and be near the fp32 product (quantisation only).
    #[test]
    fn equals_the_integer_product_at_every_remainder_and_nears_fp32() {
        if !available() {
            eprintln!("no AVX2 here: the quantised path is not used on this CPU");
            return;
        }
        for &(m, k, n) in &[
            (1, 1, 1),
            (16, 2, 6),
            (17, 3, 7),
            (33, 48, 100),
            (64, 257, 13),
            (5, 96, 200),
        ] {
            for transposed in [false, true] {
                let w = values(m * k, 3 + m as u32);
                let x = values(k * (n + 3), 7 + k as u32);
                let (ld, strides) = if transposed {
                    (n + 3, (1, m))
                } else {
                    (n + 3, (k, 1))
                };
                let weights = Weights::new(&w, [m, k], strides).expect("finite");
                let step = activation_step(&x, k).expect("finite");
                let packed = pack_activations(&x, ld, [k, n], step);
                let mut dst = vec![f32::NAN; m * n];
                product(&mut dst, &weights, &packed, n, step);
                let wv = |r: usize, c: usize| w[r * strides.0 + c * strides.1];
                for r in 0..m {
                    let s = weights.scales[r];
                    let inverse = if s > 0.0 { 1.0 / s } else { 0.0 };
                    for j in 0..n {
                        let mut sum = 0i64;
                        let mut exact = 0.0f64;
                        for c in 0..k {
                            let xv = x[c * ld + j];
                            sum += round(wv(r, c) * inverse) as i64 * round(xv / step) as i64;
                            exact += wv(r, c) as f64 * xv as f64;
                        }
                        let expected = sum as f32 * (s * step);
                        let got = dst[r * n + j];
                        assert!(
                            (got - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                            "{m}×{k}×{n} ({r}, {j}): {got} vs integers {expected}"
                        );
                        // Rounding both sides: at most half a step of each per term.
                        let bound = k as f64 * (0.5 * s as f64 * 1.0 + 0.5 * step as f64 * 1.0);
                        assert!(
                            (got as f64 - exact).abs() <= bound + 1e-4,
                            "{got} vs fp32 {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sums_stay_in_range_at_the_widest_layers() {
        let k = 16_384;
        let step = activation_step(&[1.0], k).expect("finite");
        let top = (1.0 / step).round() as i64;
        assert!(k as i64 * 127 * top < i32::MAX as i64, "top {top}");
        assert!(activation_step(&[f32::NAN], 4).is_none());
        assert!(activation_step(&[1.0, f32::NEG_INFINITY], 4).is_none());
        assert_eq!(activation_step(&[1e-40, -3e-39], 4), Some(1.0));
        assert_eq!(activation_step(&[0.0; 9], 4), Some(1.0));
        assert!(Weights::new(&[1.0, f32::INFINITY], [1, 2], (2, 1)).is_none());
        let tiny = Weights::new(&[1e-40, -2e-39, 0.5, -1.0], [2, 2], (2, 1)).expect("finite");
        assert_eq!(tiny.scales[0], 0.0);
        assert!(
            tiny.packed.iter().all(|&q| q.abs() <= 127),
            "{:?}",
            tiny.packed
        );
    }
}

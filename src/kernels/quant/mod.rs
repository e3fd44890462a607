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

mod pack;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(not(target_arch = "x86_64"))]
#[path = "portable.rs"]
mod x86;

pub use pack::{Weights, activation_step, pack_activations};
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

//! The two operands in the tile's layout: a weight quantised once per row ([`Weights`]) and
//! activations quantised per product ([`activation_step`], [`pack_activations`]).

use super::{ACTIVATION_MAX, STRIPS_PER_TASK, TILE_COLS, TILE_ROWS, WEIGHT_MAX, x86};
use rayon::prelude::*;

/// A weight matrix of `m` rows by `k` quantised per row to 8-bit values and packed for the
/// tile.
#[derive(Debug, Clone)]
pub struct Weights {
    pub(super) m: usize,
    pub(super) k: usize,
    /// `k` rounded up to even, halved.
    pub(super) pairs: usize,
    /// Panels of 6 rows: panel `p`, pair `c`, row `r`, half `h` at
    /// `[((p·pairs + c)·6 + r)·2 + h]`; rows past `m` and an odd `k`'s last half zero.
    pub(super) packed: Vec<i16>,
    /// Each row's value of one step (0 for an all-zero row); `m` rounded up to 6.
    pub(super) scales: Vec<f32>,
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
pub(super) fn round(v: f32) -> i16 {
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

//! LeakyReLU (ReLU at slope 0) as one pass forward and one pass backward, threads over
//! chunks; and the decoders' rectified concatenation in one pass. Burn's generic versions
//! build a mask tensor and select through it, each step a pass with its own allocation,
//! forward and again backward.

use rayon::prelude::*;

/// Elements per thread task.
const CHUNK: usize = 1 << 15;

/// `max(x, 0) + slope · min(x, 0)`.
pub fn forward(x: &[f32], slope: f32) -> Vec<f32> {
    let mut y = vec![0.0; x.len()];
    rectify_into(&mut y, x, slope);
    y
}

/// `max(cat([a, b]), 0)` per item of a batch of `batch`: `a` and `b` hold `batch` equal
/// blocks each, and item `n` of the output is item `n` of `a` then item `n` of `b`.
pub fn cat_relu(a: &[f32], b: &[f32], batch: usize) -> Vec<f32> {
    let batch = batch.max(1);
    let (la, lb) = (a.len() / batch, b.len() / batch);
    let mut y = vec![0.0; a.len() + b.len()];
    for (n, item) in y.chunks_mut((la + lb).max(1)).enumerate() {
        let (ya, yb) = item.split_at_mut(la);
        rectify_into(ya, &a[n * la..(n + 1) * la], 0.0);
        rectify_into(yb, &b[n * lb..(n + 1) * lb], 0.0);
    }
    y
}

/// [`forward`] of `x` into `y` (equally long), threads over chunks; NaN stays NaN.
///
/// As a product with a selected factor (1 or `slope`), not a branch between `v` and
/// `v · slope`: the branch is taken at random on activations, and it kept the loop scalar
/// (measured 1.4 ms on the outermost decoder's input, 1 M elements; see [`factor`]).
fn rectify_into(y: &mut [f32], x: &[f32], slope: f32) {
    y.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(out, inp)| {
            for (o, &v) in out.iter_mut().zip(inp) {
                *o = v * factor(v > 0.0, slope);
            }
        });
}

/// 1 where the unit passes, else `slope`: a select the compiler vectorises. `v · 1 = v`
/// exactly and NaN · anything is NaN, so multiplying by it equals the branch it replaces.
#[inline(always)]
fn factor(passes: bool, slope: f32) -> f32 {
    if passes { 1.0 } else { slope }
}

/// The input gradient from the input `x` and the output gradient `dy`. At exactly 0 (dropout
/// zeros, zero-initialised biases) it follows Burn: ReLU passes nothing, LeakyReLU everything.
pub fn backward(x: &[f32], dy: &[f32], slope: f32) -> Vec<f32> {
    assert_eq!(x.len(), dy.len(), "gradient does not match the input");
    let mut dx = vec![0.0; x.len()];
    dx.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(out, (xs, gs))| {
            // Two loops, not a test of `slope` per element, so each vectorises.
            if slope == 0.0 {
                for ((o, &v), &g) in out.iter_mut().zip(xs).zip(gs) {
                    *o = g * factor(v > 0.0, slope);
                }
            } else {
                for ((o, &v), &g) in out.iter_mut().zip(xs).zip(gs) {
                    *o = g * factor(v >= 0.0, slope);
                }
            }
        });
    dx
}

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
fn rectify_into(y: &mut [f32], x: &[f32], slope: f32) {
    y.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(out, inp)| {
            for (o, &v) in out.iter_mut().zip(inp) {
                *o = if v > 0.0 { v } else { v * slope };
            }
        });
}

/// The input gradient from the input `x` and the output gradient `dy`. At exactly 0 (dropout
/// zeros, zero-initialised biases) it follows Burn: ReLU passes nothing, LeakyReLU everything.
pub fn backward(x: &[f32], dy: &[f32], slope: f32) -> Vec<f32> {
    assert_eq!(x.len(), dy.len(), "gradient does not match the input");
    let passes = |v: f32| if slope == 0.0 { v > 0.0 } else { v >= 0.0 };
    let mut dx = vec![0.0; x.len()];
    dx.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(out, (xs, gs))| {
            for ((o, &v), &g) in out.iter_mut().zip(xs).zip(gs) {
                *o = if passes(v) { g } else { g * slope };
            }
        });
    dx
}

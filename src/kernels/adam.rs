//! Adam's update of one parameter in a single pass over its elements.
//!
//! Burn's `Adam` runs about a dozen element-wise tensor ops per parameter (scale the moments,
//! square the gradient, add, square root, divide, scale, subtract), each a pass over memory:
//! for a 13.6 M-parameter generator that is most of a gigabyte moved per step. Here the two
//! moments and the parameter are updated in place, reading each element once. The arithmetic
//! is Burn's, operation for operation, so both give the same numbers.

use rayon::prelude::*;

/// Adam's constants for one step.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// The step number, from 1.
    pub time: i32,
    /// Added to the root of the second moment.
    pub epsilon: f32,
    /// The learning rate.
    pub lr: f32,
}

/// Elements per task: large enough that scheduling is noise, small enough to share the work.
const CHUNK: usize = 64 * 1024;

/// `param -= lr · m̂ / (√v̂ + ε)` after `m = β₁m + (1−β₁)g` and `v = β₂v + (1−β₂)g²`, with
/// Burn's bias correction (folded into one factor and into ε, as Burn does).
///
/// # Panics
/// When the slices differ in length (a bug in the caller).
pub fn update(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) {
    let n = param.len();
    assert!(
        grad.len() == n && m.len() == n && v.len() == n,
        "Adam's tensors differ in length"
    );
    let bias_correction_2 = (1.0 - s.beta_2.powi(s.time)).sqrt();
    let factor = bias_correction_2 / (1.0 - s.beta_1.powi(s.time));
    let epsilon = s.epsilon * bias_correction_2;
    let (keep_1, keep_2) = (1.0 - s.beta_1, 1.0 - s.beta_2);
    param
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(m.par_chunks_mut(CHUNK))
        .zip(v.par_chunks_mut(CHUNK))
        .for_each(|(((p, g), m), v)| {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                *m = *m * s.beta_1 + g * keep_1;
                *v = *v * s.beta_2 + g * g * keep_2;
                let step = *m * factor / (v.sqrt() + epsilon);
                *p -= step * s.lr;
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_matches_the_formula() {
        let s = AdamStep {
            beta_1: 0.5,
            beta_2: 0.999,
            time: 3,
            epsilon: 1e-5,
            lr: 2e-4,
        };
        let n = 200_000; // several chunks
        let grad: Vec<f32> = (0..n).map(|i| ((i % 17) as f32 - 8.0) * 0.01).collect();
        let mut m: Vec<f32> = (0..n).map(|i| ((i % 5) as f32 - 2.0) * 0.003).collect();
        let mut v: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 1e-5).collect();
        let mut p: Vec<f32> = (0..n).map(|i| (i % 11) as f32 * 0.1).collect();
        let (m0, v0, p0) = (m.clone(), v.clone(), p.clone());
        update(&mut p, &grad, &mut m, &mut v, s);
        for i in [0, 1, 9, 65_537, n - 1] {
            let (g, t) = (grad[i] as f64, 3);
            let mi = 0.5 * m0[i] as f64 + 0.5 * g;
            let vi = 0.999 * v0[i] as f64 + 0.001 * g * g;
            let m_hat = mi / (1.0 - 0.5f64.powi(t));
            let v_hat = vi / (1.0 - 0.999f64.powi(t));
            let want = p0[i] as f64 - 2e-4 * m_hat / (v_hat.sqrt() + 1e-5);
            assert!((m[i] as f64 - mi).abs() < 1e-7, "m[{i}]");
            assert!((v[i] as f64 - vi).abs() < 1e-9, "v[{i}]");
            assert!(
                (p[i] as f64 - want).abs() < 1e-6,
                "p[{i}]: {} vs {want}",
                p[i]
            );
        }
    }
}

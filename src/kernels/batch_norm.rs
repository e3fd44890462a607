//! Batch normalisation with the batch's own statistics, forward and backward, on NCHW slices:
//! two passes over the data each way (statistics, then the normalised output; gradient sums,
//! then the input gradient), threads over channels, sums in f64 over vector-wide partial sums.
//!
//! Burn's generic `batch_norm_train` and its backward compose about ten tensor operations,
//! each a full pass with its own allocation (and at batch > 1 transposed copies); these are the
//! same formulas:
//! `x̂ = (x − μ) / √(σ² + ε)`, `y = γ·x̂ + β` with the biased variance σ², and
//! `dx = γ / √(σ² + ε) · (dy − mean(dy) − x̂ · mean(dy · x̂))`, `dγ = Σ dy · x̂`, `dβ = Σ dy`.

use rayon::prelude::*;

/// The shape of a batch-norm input: `[batch, channels, plane]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Batch size.
    pub batch: usize,
    /// Channels (one statistic each).
    pub channels: usize,
    /// Elements per channel and image (height × width).
    pub plane: usize,
}

impl Dims {
    /// Elements each statistic is taken over.
    fn count(&self) -> usize {
        self.batch * self.plane
    }

    /// The runs of channel `c`: one `plane`-long slice per image.
    fn runs<'a>(&self, data: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> + 'a {
        let (channels, plane) = (self.channels, self.plane);
        (0..self.batch)
            .map(move |n| &data[(n * channels + c) * plane..(n * channels + c + 1) * plane])
    }
}

/// The output, the per-channel mean and the biased variance.
pub struct Forward {
    /// `γ·x̂ + β`.
    pub y: Vec<f32>,
    /// Per-channel mean.
    pub mean: Vec<f32>,
    /// Per-channel biased variance.
    pub var: Vec<f32>,
}

/// Normalise `x` with its own per-channel statistics.
pub fn forward(x: &[f32], d: Dims, gamma: &[f32], beta: &[f32], eps: f64) -> Forward {
    assert_eq!(
        x.len(),
        d.batch * d.channels * d.plane,
        "input does not match its shape"
    );
    let count = d.count().max(1) as f64;
    let stats: Vec<(f64, f64)> = (0..d.channels)
        .into_par_iter()
        .map(|c| {
            let total: f64 = d.runs(x, c).map(sum).sum();
            let mean = total / count;
            let sq: f64 = d.runs(x, c).map(|run| sum_sq_dev(run, mean)).sum();
            (mean, sq / count)
        })
        .collect();
    let mut y = vec![0.0f32; x.len()];
    if d.plane > 0 {
        y.par_chunks_mut(d.plane)
            .zip(x.par_chunks(d.plane))
            .enumerate()
            .for_each(|(i, (out, inp))| {
                let c = i % d.channels;
                let (mean, var) = stats[c];
                // (x − μ)·scale + β, not x·scale + (β − μ·scale): with a near-zero variance
                // the scale is large (1/√ε) and the second form cancels catastrophically.
                let scale = (gamma[c] as f64 / (var + eps).sqrt()) as f32;
                let (mean, shift) = (mean as f32, beta[c]);
                for (o, &v) in out.iter_mut().zip(inp) {
                    *o = (v - mean) * scale + shift;
                }
            });
    }
    Forward {
        y,
        mean: stats.iter().map(|s| s.0 as f32).collect(),
        var: stats.iter().map(|s| s.1 as f32).collect(),
    }
}

/// The gradients of [`forward`]: input, γ and β.
pub struct Backward {
    /// Input gradient.
    pub dx: Vec<f32>,
    /// γ gradient.
    pub dgamma: Vec<f32>,
    /// β gradient.
    pub dbeta: Vec<f32>,
}

/// Gradients from the input `x`, its statistics, `γ` and the output gradient `dy`.
pub fn backward(
    x: &[f32],
    dy: &[f32],
    d: Dims,
    gamma: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f64,
) -> Backward {
    assert_eq!(
        x.len(),
        d.batch * d.channels * d.plane,
        "input does not match its shape"
    );
    assert_eq!(dy.len(), x.len(), "gradient does not match the input");
    let inv_std: Vec<f64> = var.iter().map(|&v| 1.0 / (v as f64 + eps).sqrt()).collect();
    let sums: Vec<(f64, f64)> = (0..d.channels)
        .into_par_iter()
        .map(|c| {
            let (m, s) = (mean[c] as f64, inv_std[c]);
            let (mut sum_dy, mut sum_dy_dev) = (0.0, 0.0);
            for (xs, gs) in d.runs(x, c).zip(d.runs(dy, c)) {
                sum_dy += sum(gs);
                sum_dy_dev += sum_products_dev(gs, xs, m);
            }
            (sum_dy, sum_dy_dev * s)
        })
        .collect();
    let count = d.count().max(1) as f64;
    let mut dx = vec![0.0f32; x.len()];
    if d.plane > 0 {
        dx.par_chunks_mut(d.plane)
            .zip(x.par_chunks(d.plane).zip(dy.par_chunks(d.plane)))
            .enumerate()
            .for_each(|(i, (out, (xs, gs)))| {
                let c = i % d.channels;
                let (sum_dy, sum_dy_xhat) = sums[c];
                let (m, s) = (mean[c] as f64, inv_std[c]);
                // dx = k·dy + a·(x − μ) + b, with k = γ·s, a = −k·s·mean(dy·x̂),
                // b = −k·mean(dy) (centred first, for the reason given in `forward`).
                let k = gamma[c] as f64 * s;
                let a = -k * s * sum_dy_xhat / count;
                let b = -k * sum_dy / count;
                let (k, a, b, m) = (k as f32, a as f32, b as f32, m as f32);
                for ((o, &v), &g) in out.iter_mut().zip(xs).zip(gs) {
                    *o = k * g + a * (v - m) + b;
                }
            });
    }
    Backward {
        dx,
        dgamma: sums.iter().map(|s| s.1 as f32).collect(),
        dbeta: sums.iter().map(|s| s.0 as f32).collect(),
    }
}

/// Independent accumulators in the sums below: enough for the compiler to use whole vector
/// registers and to hide the latency of each add (one f64 chain would run at a quarter of a
/// value per cycle, slower than the convolutions around it). The order is fixed, so a sum does
/// not depend on how the work is shared between threads.
const LANES: usize = 16;

/// Σ x in f64.
fn sum(xs: &[f32]) -> f64 {
    lanes(xs, xs, |x, _| x)
}

/// Σ (x − mean)² in f64.
fn sum_sq_dev(xs: &[f32], mean: f64) -> f64 {
    lanes(xs, xs, |x, _| (x - mean) * (x - mean))
}

/// Σ g·(x − mean) in f64.
fn sum_products_dev(gs: &[f32], xs: &[f32], mean: f64) -> f64 {
    lanes(gs, xs, |g, x| g * (x - mean))
}

/// Σ f(a, b) over two equally long slices, in f64, in [`LANES`] interleaved partial sums.
fn lanes(a: &[f32], b: &[f32], f: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += f(x[i] as f64, y[i] as f64);
        }
    }
    let tail: f64 = ra
        .iter()
        .zip(rb)
        .map(|(&x, &y)| f(x as f64, y as f64))
        .sum();
    acc.iter().sum::<f64>() + tail
}

//! Batch normalisation with batch statistics on flex tensors: the glue between Burn's
//! primitives and the slice kernels of [`super::batch_norm`].

use super::batch_norm::{self, Dims};
use super::flex::{contiguous, tensor, values};
use burn::backend::flex::FlexTensor;

/// The layer's output, mean and biased variance (the last two `[channels]`).
pub struct Normalised {
    /// `γ·x̂ + β`, shaped like the input.
    pub output: FlexTensor,
    /// Per-channel mean.
    pub mean: FlexTensor,
    /// Per-channel biased variance.
    pub var: FlexTensor,
}

/// `[batch, channels, plane]` of a tensor with at least two dimensions.
pub fn dims(shape: &[usize]) -> Option<Dims> {
    match shape {
        [batch, channels, rest @ ..] => Some(Dims {
            batch: *batch,
            channels: *channels,
            plane: rest.iter().product(),
        }),
        _ => None,
    }
}

/// Normalise `x` (`shape`) with its own statistics.
pub fn forward(
    x: &FlexTensor,
    shape: &[usize],
    d: Dims,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    eps: f64,
) -> Normalised {
    let (x, gamma, beta) = (contiguous(x), contiguous(gamma), contiguous(beta));
    let f = batch_norm::forward(values(&x), d, values(&gamma), values(&beta), eps);
    let output = tensor(f.y, shape);
    Normalised {
        output,
        mean: tensor(f.mean, &[d.channels]),
        var: tensor(f.var, &[d.channels]),
    }
}

/// The input, γ and β gradients.
pub fn backward(
    x: &FlexTensor,
    dy: &FlexTensor,
    shape: &[usize],
    d: Dims,
    saved: [&FlexTensor; 3],
    eps: f64,
) -> [FlexTensor; 3] {
    let [gamma, mean, var] = saved.map(contiguous);
    let (x, dy) = (contiguous(x), contiguous(dy));
    let b = batch_norm::backward(
        values(&x),
        values(&dy),
        d,
        values(&gamma),
        values(&mean),
        values(&var),
        eps,
    );
    [
        tensor(b.dx, shape),
        tensor(b.dgamma, &[d.channels]),
        tensor(b.dbeta, &[d.channels]),
    ]
}

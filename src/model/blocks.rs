//! Building blocks shared by both networks: batch normalisation with an explicit choice of
//! statistics, and seeded dropout.
//!
//! Burn's own `BatchNorm::forward` and `Dropout::forward` decide train-or-test from the device
//! (autodiff + training flag). pix2pix needs other combinations (batch statistics *without*
//! autodiff at test time, dropout noise at test time under a seed for variations), so the
//! choice is an explicit argument here.

use crate::rng::Rng as NoiseRng;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer};
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

/// Which statistics a batch-norm layer normalises with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NormStats {
    /// Statistics of the current batch, and the running averages are updated (training).
    Train,
    /// Statistics of the current batch, running averages untouched. This is what pix2pix did at
    /// test time (the Torch and TensorFlow originals, and junyanz's code without `--eval`): with
    /// batch size 1 it normalises each image by its own statistics, which also makes the model
    /// robust to sketches whose statistics differ from the training set.
    Batch,
    /// The running averages collected during training (the usual `eval()` behaviour).
    Running,
}

/// Dropout noise drawn from a seeded generator on the CPU, so that a seed gives the same
/// result on every backend and platform (a variation can be reproduced on another machine).
#[derive(Debug, Clone)]
pub struct DropoutNoise {
    rng: NoiseRng,
    /// Probability of zeroing a unit.
    pub prob: f64,
}

impl DropoutNoise {
    /// Noise with drop probability `prob` from the given seed.
    pub fn new(seed: u64, prob: f64) -> Self {
        Self {
            rng: NoiseRng::seed_from_u64(seed),
            prob,
        }
    }

    /// Noise that continues from an existing generator (the trainer's, which it checkpoints).
    pub fn from_rng(rng: NoiseRng, prob: f64) -> Self {
        Self { rng, prob }
    }

    /// Give the generator back (its state has advanced by the masks drawn).
    pub fn into_rng(self) -> NoiseRng {
        self.rng
    }

    /// Apply inverted dropout: zero each unit with probability `prob`, scale the rest by
    /// `1 / (1 - prob)`.
    pub fn apply(&mut self, x: Tensor<4>) -> Tensor<4> {
        if self.prob <= 0.0 {
            return x;
        }
        let shape = x.dims();
        let keep = 1.0 - self.prob;
        let scale = (1.0 / keep) as f32;
        let n = shape.iter().product::<usize>();
        let mask: Vec<f32> = (0..n)
            .map(|_| {
                if self.rng.random::<f64>() < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::<4>::from_data(TensorData::new(mask, shape), &x.device());
        x * mask
    }
}

/// A batch-norm layer initialised as pix2pix does: γ ~ N(1, 0.02), β = 0.
pub(crate) fn batch_norm(channels: usize, device: &burn::tensor::Device) -> BatchNorm {
    let mut norm = BatchNormConfig::new(channels).init(device);
    norm.gamma = Initializer::Normal {
        mean: 1.0,
        std: 0.02,
    }
    .init([channels], device);
    norm
}

/// Normalise `x` with the statistics `stats` asks for.
///
/// # Shapes
/// `x`: [B, C, H, W] → [B, C, H, W]
pub(crate) fn norm_forward(norm: &BatchNorm, x: Tensor<4>, stats: NormStats) -> Tensor<4> {
    use crate::kernels::batch_norm_train;
    use burn::tensor::module::batch_norm as bn_running;
    match stats {
        NormStats::Running => bn_running(
            x,
            norm.gamma.val(),
            norm.beta.val(),
            norm.running_mean.value_sync(),
            norm.running_var.value_sync(),
            norm.epsilon,
        ),
        NormStats::Batch => {
            batch_norm_train(x, norm.gamma.val(), norm.beta.val(), norm.epsilon).output
        }
        NormStats::Train => {
            let out = batch_norm_train(x, norm.gamma.val(), norm.beta.val(), norm.epsilon);
            let m = norm.momentum;
            let mean = norm.running_mean.value_sync().mul_scalar(1.0 - m)
                + out.mean.detach().mul_scalar(m);
            let var = norm.running_var.value_sync().mul_scalar(1.0 - m)
                + out.variance.detach().mul_scalar(m);
            norm.running_mean.update(mean.detach());
            norm.running_var.update(var.detach());
            out.output
        }
    }
}

/// Make a norm's running statistics current (updates are kept per thread until synced).
pub(crate) fn sync_norm(norm: &BatchNorm) {
    norm.running_mean.value_sync();
    norm.running_var.value_sync();
}

/// The pix2pix weight initialisation for convolutions: N(0, 0.02).
pub(crate) fn conv_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}

/// A convolution layer through [`crate::kernels`] (pix2paint's CPU kernels on flex, Burn's op
/// elsewhere); the same result as `layer.forward(x)`. With `quantized` (the layer's weight
/// quantised), the reduced-precision path where it applies.
pub(crate) fn conv_forward(
    layer: &Conv2d,
    x: Tensor<4>,
    quantized: Option<&crate::kernels::QuantizedWeight>,
) -> Tensor<4> {
    use burn::nn::PaddingConfig2d;
    use burn::tensor::ops::ConvOptions;
    let padding = match layer.padding {
        PaddingConfig2d::Valid => [(0, 0), (0, 0)],
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
        // Computed from the input size inside burn-nn: leave it to Burn.
        PaddingConfig2d::Same => return layer.forward(x),
    };
    let options =
        ConvOptions::new_with_padding(layer.stride, padding, layer.dilation, layer.groups);
    let (weight, bias) = (layer.weight.val(), layer.bias.as_ref().map(|b| b.val()));
    match quantized {
        Some(q) => crate::kernels::conv2d_quantized(x, q, weight, bias, options),
        None => crate::kernels::conv2d(x, weight, bias, options),
    }
}

/// A transposed convolution layer through [`crate::kernels`]; the same result as
/// `layer.forward(x)`. With `quantized`, as [`conv_forward`].
pub(crate) fn conv_transpose_forward(
    layer: &ConvTranspose2d,
    x: Tensor<4>,
    quantized: Option<&crate::kernels::QuantizedWeight>,
) -> Tensor<4> {
    use burn::tensor::ops::ConvTransposeOptions;
    let options = ConvTransposeOptions::new(
        layer.stride,
        layer.padding,
        layer.padding_out,
        layer.dilation,
        layer.groups,
    );
    let (weight, bias) = (layer.weight.val(), layer.bias.as_ref().map(|b| b.val()));
    match quantized {
        Some(q) => crate::kernels::conv_transpose2d_quantized(x, q, weight, bias, options),
        None => crate::kernels::conv_transpose2d(x, weight, bias, options),
    }
}

//! The loss terms of a GAN step beside L1: the vanilla GAN loss on patch logits and pix2pixHD's
//! feature matching.

use super::config::TrainConfig;
use crate::model::{Discriminator, Judgement, NormStats};
use burn::tensor::Tensor;

/// pix2pixHD's feature-matching loss (Wang et al. 2018, eq. 4): the L1 distance between the
/// discriminator's features of the painting (`judged`, with their gradients) and of the photo
/// (constants), block by block, summed over blocks and averaged over scales, times its weight.
pub(super) fn feature_matching(
    d: &Discriminator,
    judged: &[Judgement],
    sketch: Tensor<4>,
    photo: Tensor<4>,
    config: &TrainConfig,
) -> Tensor<1> {
    let real = d.judge_scales(sketch, photo, NormStats::Train, true);
    let weight = config.feature_matching / judged.len() as f64;
    judged
        .iter()
        .zip(real)
        .flat_map(|(fake, real)| fake.features.iter().cloned().zip(real.features))
        .map(|(f, r)| (f - r.detach()).abs().mean() * weight)
        .reduce(|a, b| a + b)
        .expect("a discriminator has feature blocks")
}

/// Binary cross-entropy of logits against a constant target, numerically stable.
pub(super) fn bce_with_logits(x: Tensor<4>, target: f32) -> Tensor<1> {
    let loss = x.clone().clamp_min(0.0) - x.clone() * target + (x.abs().neg().exp() + 1.0).log();
    loss.mean()
}

//! The ranges of the training settings a user chooses, in one place: the command line's flag
//! parsers (`src/cli/bounds.rs`) and the Training panel's fields both read them, so a value one
//! accepts, the other accepts. ([`super::TrainConfig::problem`], for settings read back from a
//! checkpoint, checks the batch size and decay against them, and the rates only for being
//! finite.)

use std::ops::RangeInclusive;

/// Steps (and epochs) of a run: at least one, at most a billion (the step count stays exact in
/// every counter and ETA).
pub const STEPS: RangeInclusive<u64> = 1..=super::MAX_STEPS;

/// Adam's learning rate (pix2pix: 2e-4). Positive: at 0 nothing trains; above 1 every run
/// diverges.
pub const LEARNING_RATE: RangeInclusive<f64> = 1e-8..=1.0;

/// The L1 term's weight λ (pix2pix: 100); 0 trains the GAN term alone.
pub const LAMBDA_L1: RangeInclusive<f64> = 0.0..=1e4;

/// Examples per step (pix2pix: 1); 64 pairs of 256² images and their activations fill a
/// laptop's memory.
pub const BATCH_SIZE: RangeInclusive<usize> = 1..=64;

/// Steps between checkpoints.
pub const CHECKPOINT_EVERY: RangeInclusive<u64> = 1..=super::MAX_STEPS;

/// The share of steps drawn without colour hints, when training with them.
pub const HINT_FREE_SHARE: RangeInclusive<f64> = 0.01..=1.0;

/// The share of examples drawn from photos with a foreground mask, when it is set.
pub const MASKED_SHARE: RangeInclusive<f64> = 0.0..=1.0;

/// The weight average's decay (StyleGAN practice: 0.999); 1 would never move.
pub const EMA_DECAY: RangeInclusive<f64> = 0.0..=0.999_999;

/// A share of examples or of hints (recoloured hinted examples, stroke hints, drawings' shares).
pub const SHARE: RangeInclusive<f64> = 0.0..=1.0;

/// The feature-matching term's weight (pix2pixHD: 10); 0 is off.
pub const FEATURE_MATCHING: RangeInclusive<f64> = 0.0..=1e4;

/// PatchGANs of a discriminator (pix2pix: 1, pix2pixHD: 2 or 3).
pub const D_SCALES: RangeInclusive<usize> = 1..=crate::weights::MAX_SCALES;

//! A run's settings, the losses of a step and what can go wrong, stored in checkpoints.

use crate::dataset::{Augment, Drawings};
use crate::hints::HintConfig;
use crate::model::{DiscriminatorConfig, GeneratorConfig};
use crate::weights::WeightsError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Hyper-parameters and schedule of a run; stored in checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Generator updates to reach.
    pub steps: u64,
    /// Examples per step.
    pub batch_size: usize,
    /// The optimizer and its schedule.
    #[serde(flatten)]
    pub optimizer: OptimizerConfig,
    /// The networks a new run builds.
    #[serde(flatten)]
    pub network: NetworkConfig,
    /// Weight of the L1 term.
    pub lambda_l1: f64,
    /// Side of the training crops.
    pub resolution: u32,
    /// Augmentation.
    pub augment: Augment,
    /// Seed of the run (data order, augmentation, dropout).
    pub seed: u64,
    /// Write a checkpoint every this many steps.
    pub checkpoint_every: u64,
    /// Paint held-out previews every this many steps.
    pub sample_every: u64,
    /// Train adversarially (pix2pix). Off: the L1-only U-Net of the paper's ablation, the
    /// discriminator is neither used nor updated.
    #[serde(default = "adversarial_default")]
    pub gan: bool,
    /// Simulated colour hints: a new model gets hint channels and learns from them, a model
    /// without them gains them (zero weights: it paints as before). None: no hints.
    #[serde(default)]
    pub hints: Option<HintConfig>,
    /// Keep an exponential moving average of the generator's weights with this decay, and save
    /// it as the model (the raw generator travels beside it to continue from). None: no average.
    #[serde(default)]
    pub ema_decay: Option<f64>,
    /// Share of the examples drawn from the photos that have a foreground mask, the only ones
    /// that can be drawn as outlines (what people draw). None: every example equally likely.
    #[serde(default)]
    pub masked_share: Option<f64>,
    /// Draw most sketches as people draw, on blank paper with calm targets
    /// ([`crate::dataset::Dataset::load_drawn`]). None: the extractor's styles over the photos'
    /// own backgrounds, as runs before did.
    #[serde(default)]
    pub drawings: Option<Drawings>,
    /// Weight of pix2pixHD's feature-matching term (its λ is 10): the generator also matches
    /// the discriminator's features of the photo, block by block and scale by scale. 0: off.
    #[serde(default)]
    pub feature_matching: f64,
    /// Weight of the L1 term on the background of photos with a foreground mask (the mask's
    /// zeros, after augmentation); `lambda_l1` stays the weight on the subject and on photos
    /// without a mask. A calm background wants a strong L1 there, a colourful cat a freer
    /// one. None: `lambda_l1` everywhere.
    #[serde(default)]
    pub lambda_background: Option<f64>,
}

/// The networks of a new run (checkpoints store them flat, beside the other settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Generator width for a new model.
    pub ngf: usize,
    /// Discriminator width for a new discriminator.
    pub ndf: usize,
    /// Initialise a new generator's transposed convolutions with ICNR (no checkerboard at step 0).
    #[serde(default)]
    pub icnr: bool,
    /// Keep the decoders' sub-pixel phases tied after every step (see
    /// [`crate::model::icnr::tie_phases`]): no checkerboard at any step.
    #[serde(default)]
    pub tie_phases: bool,
    /// PatchGANs of the discriminator (pix2pixHD's multi-scale one; 1: pix2pix's). A loaded
    /// discriminator with fewer gains fresh coarse ones.
    #[serde(default = "one_scale")]
    pub d_scales: usize,
}

fn one_scale() -> usize {
    1
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            ngf: 64,
            ndf: 64,
            icnr: true,
            tie_phases: false,
            d_scales: 1,
        }
    }
}

impl NetworkConfig {
    /// A new generator's layout: PyTorch pix2pix's `unet_256` exactly, so `pix2paint export
    /// --to pth` gives a file its code loads as is (among its choices: no BatchNorm on the 1×1
    /// innermost encoder block, which at batch 1 would normalise a single value per channel to
    /// zero, and no biases before BatchNorm), reading `hint_channels` more input channels.
    pub fn generator(&self, hint_channels: usize) -> GeneratorConfig {
        GeneratorConfig::pytorch_unet()
            .with_ngf(self.ngf)
            .with_hint_channels(hint_channels)
    }

    /// A new discriminator's layout: the 70×70 PatchGAN reading `in_channels` (sketch and
    /// painting, side by side in channels).
    pub fn discriminator(&self, in_channels: usize) -> DiscriminatorConfig {
        DiscriminatorConfig::new()
            .with_ndf(self.ndf)
            .with_in_channels(in_channels)
            .with_scales(self.d_scales)
    }
}

/// Adam and its learning-rate schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// Adam learning rate.
    pub lr: f64,
    /// Adam β1.
    pub beta1: f32,
    /// Step from which the learning rate decays linearly to zero at the run's last step (none:
    /// constant).
    pub decay_from: Option<u64>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        // pix2pix's: lr 2e-4, β1 0.5.
        Self {
            lr: 2e-4,
            beta1: 0.5,
            decay_from: None,
        }
    }
}

impl OptimizerConfig {
    /// The learning rate at `step` of a run of `steps`.
    pub fn lr_at(&self, step: u64, steps: u64) -> f64 {
        match self.decay_from {
            Some(from) if step > from && steps > from => {
                self.lr * (1.0 - (step - from) as f64 / (steps - from) as f64).max(0.0)
            }
            _ => self.lr,
        }
    }
}

fn adversarial_default() -> bool {
    true
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 10_000,
            batch_size: 1,
            optimizer: OptimizerConfig::default(),
            network: NetworkConfig::default(),
            lambda_l1: 100.0,
            resolution: 256,
            augment: Augment::default(),
            seed: 1,
            checkpoint_every: 500,
            sample_every: 200,
            gan: true,
            hints: None,
            ema_decay: None,
            masked_share: None,
            drawings: None,
            feature_matching: 0.0,
            lambda_background: None,
        }
    }
}

/// The longest run these settings may ask for (a billion steps: years on any machine).
pub const MAX_STEPS: u64 = 1_000_000_000;

/// The steps of `epochs` passes over `examples` pairs, `batch_size` at a time, or `None` past
/// [`MAX_STEPS`].
pub fn steps_for_epochs(epochs: u64, examples: usize, batch_size: usize) -> Option<u64> {
    epochs
        .checked_mul(examples as u64)
        .map(|n| n.div_ceil(batch_size.max(1) as u64))
        .filter(|&n| n <= MAX_STEPS)
}

impl TrainConfig {
    /// What makes these settings unusable (non-finite or out-of-range numbers, as an old
    /// checkpoint written before flags were checked may hold), or `None`.
    pub fn problem(&self) -> Option<SettingsProblem> {
        use super::limits;
        let bad =
            |what: &'static str, value: f64| Some(SettingsProblem::OutOfRange { what, value });
        // Finite and positive, not `limits`' ranges: a library caller may try a rate that
        // diverges (the loop stops such a run and keeps its last good checkpoint).
        let (lr, beta1) = (self.optimizer.lr, self.optimizer.beta1);
        if !(lr.is_finite() && lr > 0.0) {
            return bad("learning rate", lr);
        }
        if !(self.lambda_l1.is_finite() && self.lambda_l1 >= 0.0) {
            return bad("L1 weight", self.lambda_l1);
        }
        if let Some(bg) = self
            .lambda_background
            .filter(|b| !(b.is_finite() && *b >= 0.0))
        {
            return bad("background L1 weight", bg);
        }
        if self.lambda_background.is_some() && self.lambda_l1 == 0.0 {
            // The background's weight is kept relative to the cat's (`train::batch`).
            return bad(
                "L1 weight (with a background weight it must be above 0)",
                0.0,
            );
        }
        if !(0.0..1.0).contains(&beta1) {
            return bad("Adam β1", f64::from(beta1));
        }
        if let Some(decay) = self.ema_decay.filter(|d| !limits::EMA_DECAY.contains(d)) {
            return bad("weight-average decay", decay);
        }
        if let Some(share) = self
            .masked_share
            .filter(|s| !limits::MASKED_SHARE.contains(s))
        {
            return bad("share of masked examples", share);
        }
        let shares = [
            (
                "share of recoloured hinted examples",
                self.hints.map(|h| h.recolour),
            ),
            ("share of stroke hints", self.hints.map(|h| h.strokes)),
            (
                "share of photo-edge drawings",
                self.drawings.map(|d| d.photo_share),
            ),
            (
                "share of shrunk drawings",
                self.drawings.map(|d| d.shrink_share),
            ),
            (
                "smallest drawing scale",
                self.drawings.map(|d| f64::from(d.min_scale)),
            ),
        ];
        for (what, share) in shares {
            if let Some(v) = share.filter(|v| !limits::SHARE.contains(v)) {
                return bad(what, v);
            }
        }
        if !limits::BATCH_SIZE.contains(&self.batch_size) {
            return Some(SettingsProblem::BatchSize(self.batch_size));
        }
        if self.resolution == 0 || self.network.ngf == 0 || self.network.ndf == 0 {
            return Some(SettingsProblem::ZeroSize);
        }
        None
    }

    /// The learning rate at `step`.
    pub fn lr_at(&self, step: u64) -> f64 {
        self.optimizer.lr_at(step, self.steps)
    }

    /// A new generator's layout, with hint channels when the run trains with hints.
    pub fn generator(&self) -> GeneratorConfig {
        let hint_channels = if self.hints.is_some() {
            crate::hints::CHANNELS
        } else {
            0
        };
        self.network.generator(hint_channels)
    }
}

/// The losses of one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Losses {
    /// Discriminator loss (halved sum of real and fake BCE, summed over its scales).
    pub d: f32,
    /// Generator adversarial loss (with the feature-matching term, when the run has one).
    pub g_gan: f32,
    /// Generator L1 loss (before λ).
    pub g_l1: f32,
}

impl Losses {
    /// Whether every loss is a finite number.
    pub fn finite(&self) -> bool {
        self.d.is_finite() && self.g_gan.is_finite() && self.g_l1.is_finite()
    }
}

/// Settings that cannot train (see [`TrainConfig::problem`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsProblem {
    /// A number out of its range.
    #[error("its {what} is {value}")]
    OutOfRange {
        /// Which setting.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A batch size out of range.
    #[error("its batch size is {0}")]
    BatchSize(usize),
    /// No pixels or no filters.
    #[error("its resolution or network width is 0")]
    ZeroSize,
}

/// What goes wrong in training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A loss became NaN or infinite.
    #[error("a loss became {what} at step {step}")]
    NonFinite {
        /// The step.
        step: u64,
        /// "NaN" or "infinite".
        what: &'static str,
    },
    /// Reading or writing a model or checkpoint failed.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The checkpoint's training state is unreadable.
    #[error("{path}: {detail}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The checkpoint to resume cannot be read (damaged, truncated, not a checkpoint).
    #[error("{0}; to start over without it, train with --fresh or move the file away")]
    Unresumable(WeightsError),
    /// The dataset produced no usable example.
    #[error("no example of the dataset could be read ({0})")]
    NoData(crate::imaging::ImageReadError),
    /// The training thread panicked (a bug): what it said.
    #[error("training crashed: {0}")]
    Crashed(String),
    /// A setting that cannot work.
    #[error("{0}")]
    Settings(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_become_steps_rounded_up_and_bounded() {
        assert_eq!(steps_for_epochs(3, 10, 4), Some(8)); // 30 pairs, 4 at a time
        assert_eq!(steps_for_epochs(2, 9, 1), Some(18));
        assert_eq!(steps_for_epochs(1, 0, 1), Some(0));
        assert_eq!(steps_for_epochs(MAX_STEPS, 1, 1), Some(MAX_STEPS));
        assert_eq!(steps_for_epochs(MAX_STEPS, 2, 1), None);
        // A product that overflows u64 is refused, not wrapped into a short run.
        assert_eq!(steps_for_epochs(u64::MAX / 2, 3, 1), None);
    }

    #[test]
    fn checkpoints_keep_the_settings_flat_and_old_ones_still_read() {
        // A run's settings as checkpoints before the nesting stored them.
        let old = r#"{"steps":400000,"batch_size":1,"lr":0.0002,"beta1":0.5,"lambda_l1":100.0,
            "decay_from":null,"resolution":256,"augment":{"jitter":true,"flip":true,"sketch":true},
            "seed":11,"checkpoint_every":250,"sample_every":250,"ngf":32,"ndf":32,"gan":true,
            "hints":null,"ema_decay":0.999,"icnr":true,"tie_phases":true}"#;
        let parsed: Result<TrainConfig, _> = serde_json::from_str(old);
        let Ok(config) = parsed else {
            panic!("an old checkpoint's settings no longer parse: {parsed:?}");
        };
        assert_eq!(config.network.ngf, 32);
        assert_eq!(config.network.ndf, 32);
        assert!(config.network.tie_phases);
        assert_eq!(config.optimizer.lr, 2e-4);
        assert_eq!(config.optimizer.decay_from, None);
        assert_eq!(config.generator().ngf, 32);
        // Written back, they are flat as before: older builds read new checkpoints too.
        let written = serde_json::to_value(&config).map_err(|e| e.to_string());
        let Ok(serde_json::Value::Object(fields)) = written else {
            panic!("settings did not serialise to an object: {written:?}");
        };
        for key in [
            "lr",
            "beta1",
            "decay_from",
            "ngf",
            "ndf",
            "icnr",
            "tie_phases",
        ] {
            assert!(fields.contains_key(key), "{key} is not a top-level field");
        }
        assert!(!fields.contains_key("network") && !fields.contains_key("optimizer"));
    }
}

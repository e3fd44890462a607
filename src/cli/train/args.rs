//! The flags of `pix2paint train`, and the run's settings they make.

use clap::{Args, ValueEnum};
use pix2paint::dataset::{Augment, Backdrop, Drawings, Layout};
use pix2paint::hints::HintConfig;
use pix2paint::train::{NetworkConfig, OptimizerConfig, TrainConfig};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum BackdropArg {
    Blur,
    Paper,
}

#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    Auto,
    Aligned,
    Folders,
    Photos,
}

/// Arguments of `pix2paint train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Dataset folder: A|B pair images, A/ and B/ folders, or plain photos.
    pub(super) data: PathBuf,
    /// The model to write at the end.
    #[arg(long)]
    pub(super) out: PathBuf,
    /// Fine-tune this model instead of starting from scratch.
    #[arg(long)]
    pub(super) from: Option<PathBuf>,
    /// Checkpoint file (default: OUT with `.ckpt.safetensors`); an existing one is resumed.
    #[arg(long)]
    pub(super) checkpoint: Option<PathBuf>,
    /// Start over even if the checkpoint exists.
    #[arg(long)]
    pub(super) fresh: bool,
    /// Total generator steps.
    #[arg(long, conflicts_with = "epochs", value_parser = crate::cli::bounds::count)]
    pub(super) steps: Option<u64>,
    /// Passes over the data (steps = epochs × examples / batch).
    #[arg(long, value_parser = crate::cli::bounds::count)]
    pub(super) epochs: Option<u64>,
    /// Dataset layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    /// For A|B pairs and A/ B/ folders: train B → A instead.
    #[arg(long)]
    pub(super) btoa: bool,
    /// Foreground masks for the photos layout (same names, .png).
    #[arg(long)]
    pub(super) masks: Option<PathBuf>,
    /// Examples per step.
    #[arg(long, default_value_t = 1, value_parser = crate::cli::bounds::batch_size)]
    pub(super) batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 2e-4, value_parser = crate::cli::bounds::learning_rate)]
    pub(super) lr: f64,
    /// L1 weight λ.
    #[arg(long, default_value_t = 100.0, value_parser = crate::cli::bounds::lambda)]
    pub(super) lambda: f64,
    /// Decay the learning rate linearly to zero over the second half of the run.
    #[arg(long)]
    pub(super) decay: bool,
    /// Decay the learning rate linearly to zero from this step to the run's last (e.g. to polish
    /// a fine-tuned model over most of a short run); instead of `--decay`'s second half.
    #[arg(long, conflicts_with = "decay", value_parser = crate::cli::bounds::count)]
    pub(super) decay_from: Option<u64>,
    /// Generator width for a new model.
    #[arg(long, default_value_t = 64, value_parser = crate::cli::bounds::width)]
    pub(super) ngf: usize,
    /// Discriminator width for a new discriminator.
    #[arg(long, default_value_t = 64, value_parser = crate::cli::bounds::width)]
    pub(super) ndf: usize,
    /// Training resolution.
    #[arg(long, default_value_t = 256, value_parser = crate::cli::bounds::resolution)]
    pub(super) resolution: u32,
    /// Turn off jitter, flip and sketch augmentation.
    #[arg(long)]
    pub(super) no_augment: bool,
    /// Checkpoint every N steps.
    #[arg(long, default_value_t = 500, value_parser = crate::cli::bounds::checkpoint_interval)]
    pub(super) checkpoint_every: u64,
    /// Print a loss line (means since the previous line) every N steps.
    #[arg(long, default_value_t = 50)]
    pub(super) log_every: u64,
    /// Write held-out previews (sketch | generated | target) into this folder every N steps.
    #[arg(long)]
    pub(super) samples: Option<PathBuf>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
    /// Train on the CPU even if a GPU is available.
    #[arg(long)]
    pub(super) cpu: bool,
    /// Train the paper's L1-only baseline: no discriminator, no GAN loss.
    #[arg(long)]
    pub(super) l1_only: bool,
    /// Train with simulated colour hints: a new model gets hint channels, a model without them
    /// gains them (it paints as before until it learns). See `--hint-rate`.
    #[arg(long)]
    pub(super) hints: bool,
    /// Share of examples trained without hints, and the geometric rate of the hint count
    /// (mean count (1 − p) / p).
    #[arg(long, default_value_t = 0.25, requires = "hints", value_parser = crate::cli::bounds::hint_free_share)]
    pub(super) hint_rate: f64,
    /// Share of examples trained without hints, when it should differ from `--hint-rate`: the
    /// hinted ones keep `--hint-rate`'s counts (at least one hint, mean 1 / rate).
    #[arg(long, requires = "hints", value_parser = crate::cli::bounds::hint_free_share)]
    pub(super) hint_free_share: Option<f64>,
    /// Keep an exponential moving average of the generator's weights with this decay (e.g.
    /// 0.999) and save it as the model; the raw generator travels beside it.
    #[arg(long, value_parser = crate::cli::bounds::decay)]
    pub(super) ema: Option<f64>,
    /// Share of the examples drawn from the photos that have a mask (e.g. 0.5), the only ones
    /// drawn as outlines; by default every photo is equally likely, so outlines are as rare as
    /// masks.
    #[arg(long, requires = "masks", value_parser = crate::cli::bounds::masked_share)]
    pub(super) masked_share: Option<f64>,
    /// Draw most sketches as people draw, on blank paper (the outline, the outline with a few
    /// interior lines, the subject's edges; the subject often shrunk and moved), their targets
    /// the subject over a calm background: `blur` (the photo's background blurred away) or
    /// `paper`. A quarter stay photo edges over the real background. Needs --masks (every
    /// photo with one: `pix2paint segment predict` writes them).
    #[arg(long, value_enum, requires = "masks")]
    drawings: Option<BackdropArg>,
    /// Share of the hinted examples whose cat (and, half the time, background) is turned to
    /// another colour, so that a dab of any colour recolours the region it lies in (e.g. 0.5).
    #[arg(long, requires = "hints", value_parser = crate::cli::bounds::share)]
    pub(super) recolour_hints: Option<f64>,
    /// Share of the simulated hints drawn as short strokes instead of square dabs (e.g. 0.4).
    #[arg(long, requires = "hints", value_parser = crate::cli::bounds::share)]
    pub(super) stroke_hints: Option<f64>,
    /// Initialise a new model's transposed convolutions at random, as pix2pix did, instead of
    /// ICNR (which starts without a checkerboard).
    #[arg(long)]
    pub(super) no_icnr: bool,
    /// Keep the decoders' four sub-pixel phases tied after every step (each decoder stays a
    /// nearest-neighbour upsampling + 3×3 convolution): no checkerboard at any step.
    #[arg(long)]
    pub(super) tie_phases: bool,
    /// PatchGANs in a new discriminator, each judging the pair halved once more (pix2pixHD's
    /// multi-scale discriminator; 2 sees whole cats); a loaded one gains fresh coarse ones.
    #[arg(long, default_value_t = 1, value_parser = crate::cli::bounds::d_scales)]
    pub(super) d_scales: usize,
    /// Weight of pix2pixHD's feature-matching loss on the discriminator's features (e.g. 10).
    #[arg(long, default_value_t = 0.0, value_parser = crate::cli::bounds::feature_matching)]
    pub(super) feature_matching: f64,
    /// L1 weight on the background of photos with a foreground mask (`--lambda` stays the
    /// weight on the cat and on photos without one), e.g. `--lambda 100 --lambda-background
    /// 200`: a calm background and a freer, more colourful cat.
    #[arg(long, value_parser = crate::cli::bounds::lambda)]
    pub(super) lambda_background: Option<f64>,
    /// Also keep the model of every checkpoint (G + D, half precision) in this folder as
    /// `step-NNNNNN.safetensors`, to pick the best one later with `pix2paint eval`.
    #[arg(long)]
    pub(super) snapshots: Option<PathBuf>,
}

impl TrainArgs {
    /// The dataset layout asked for.
    pub(super) fn layout(&self) -> Layout {
        match self.layout {
            LayoutArg::Auto => Layout::Auto,
            LayoutArg::Aligned => Layout::Aligned,
            LayoutArg::Folders => Layout::Folders,
            LayoutArg::Photos => Layout::Photos,
        }
    }

    /// The run's settings for a run of `steps` steps.
    pub(super) fn config(&self, steps: u64) -> TrainConfig {
        let args = self;
        TrainConfig {
            steps,
            batch_size: args.batch_size,
            optimizer: OptimizerConfig {
                lr: args.lr,
                decay_from: args.decay_from.or(args.decay.then_some(steps / 2)),
                ..OptimizerConfig::default()
            },
            network: NetworkConfig {
                ngf: args.ngf,
                ndf: args.ndf,
                icnr: !args.no_icnr,
                tie_phases: args.tie_phases,
                d_scales: args.d_scales,
            },
            lambda_l1: args.lambda,
            resolution: args.resolution,
            augment: if args.no_augment {
                Augment::NONE
            } else {
                Augment::default()
            },
            seed: args.seed,
            checkpoint_every: args.checkpoint_every,
            sample_every: if args.samples.is_some() {
                args.checkpoint_every
            } else {
                0
            },
            gan: !args.l1_only,
            hints: args.hints.then_some(HintConfig {
                rate: args.hint_rate,
                free_share: args.hint_free_share,
                recolour: args.recolour_hints.unwrap_or(0.0),
                strokes: args.stroke_hints.unwrap_or(0.0),
                ..HintConfig::default()
            }),
            ema_decay: args.ema,
            masked_share: args.masked_share,
            drawings: args.drawings.map(|backdrop| Drawings {
                backdrop: match backdrop {
                    BackdropArg::Blur => Backdrop::Blur,
                    BackdropArg::Paper => Backdrop::Paper,
                },
                ..Drawings::default()
            }),
            feature_matching: args.feature_matching,
            lambda_background: args.lambda_background,
        }
    }
}

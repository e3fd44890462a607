//! `pix2paint train DATA --out MODEL`: the same training loop as the app's panel, with a
//! progress bar and periodic loss lines.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::dataset::{Augment, Backdrop, Dataset, Drawings, Layout};
use pix2paint::hints::HintConfig;
use pix2paint::train::{
    self, Control, Job, NetworkConfig, OptimizerConfig, Start, TrainConfig, TrainEvent,
};
use pix2paint::weights::Direction;
use std::path::{Path, PathBuf};

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
    data: PathBuf,
    /// The model to write at the end.
    #[arg(long)]
    out: PathBuf,
    /// Fine-tune this model instead of starting from scratch.
    #[arg(long)]
    from: Option<PathBuf>,
    /// Checkpoint file (default: OUT with `.ckpt.safetensors`); an existing one is resumed.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Start over even if the checkpoint exists.
    #[arg(long)]
    fresh: bool,
    /// Total generator steps.
    #[arg(long, conflicts_with = "epochs", value_parser = super::bounds::count)]
    steps: Option<u64>,
    /// Passes over the data (steps = epochs × examples / batch).
    #[arg(long, value_parser = super::bounds::count)]
    epochs: Option<u64>,
    /// Dataset layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    /// For A|B pairs and A/ B/ folders: train B → A instead.
    #[arg(long)]
    btoa: bool,
    /// Foreground masks for the photos layout (same names, .png).
    #[arg(long)]
    masks: Option<PathBuf>,
    /// Examples per step.
    #[arg(long, default_value_t = 1, value_parser = super::bounds::batch_size)]
    batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 2e-4, value_parser = super::bounds::learning_rate)]
    lr: f64,
    /// L1 weight λ.
    #[arg(long, default_value_t = 100.0, value_parser = super::bounds::lambda)]
    lambda: f64,
    /// Decay the learning rate linearly to zero over the second half of the run.
    #[arg(long)]
    decay: bool,
    /// Decay the learning rate linearly to zero from this step to the run's last (e.g. to polish
    /// a fine-tuned model over most of a short run); instead of `--decay`'s second half.
    #[arg(long, conflicts_with = "decay", value_parser = super::bounds::count)]
    decay_from: Option<u64>,
    /// Generator width for a new model.
    #[arg(long, default_value_t = 64, value_parser = super::bounds::width)]
    ngf: usize,
    /// Discriminator width for a new discriminator.
    #[arg(long, default_value_t = 64, value_parser = super::bounds::width)]
    ndf: usize,
    /// Training resolution.
    #[arg(long, default_value_t = 256, value_parser = super::bounds::resolution)]
    resolution: u32,
    /// Turn off jitter, flip and sketch augmentation.
    #[arg(long)]
    no_augment: bool,
    /// Checkpoint every N steps.
    #[arg(long, default_value_t = 500, value_parser = super::bounds::checkpoint_interval)]
    checkpoint_every: u64,
    /// Print a loss line (means since the previous line) every N steps.
    #[arg(long, default_value_t = 50)]
    log_every: u64,
    /// Write held-out previews (sketch | generated | target) into this folder every N steps.
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Train on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
    /// Train the paper's L1-only baseline: no discriminator, no GAN loss.
    #[arg(long)]
    l1_only: bool,
    /// Train with simulated colour hints: a new model gets hint channels, a model without them
    /// gains them (it paints as before until it learns). See `--hint-rate`.
    #[arg(long)]
    hints: bool,
    /// Share of examples trained without hints, and the geometric rate of the hint count
    /// (mean count (1 − p) / p).
    #[arg(long, default_value_t = 0.25, requires = "hints", value_parser = super::bounds::hint_free_share)]
    hint_rate: f64,
    /// Share of examples trained without hints, when it should differ from `--hint-rate`: the
    /// hinted ones keep `--hint-rate`'s counts (at least one hint, mean 1 / rate).
    #[arg(long, requires = "hints", value_parser = super::bounds::hint_free_share)]
    hint_free_share: Option<f64>,
    /// Keep an exponential moving average of the generator's weights with this decay (e.g.
    /// 0.999) and save it as the model; the raw generator travels beside it.
    #[arg(long, value_parser = super::bounds::decay)]
    ema: Option<f64>,
    /// Share of the examples drawn from the photos that have a mask (e.g. 0.5), the only ones
    /// drawn as outlines; by default every photo is equally likely, so outlines are as rare as
    /// masks.
    #[arg(long, requires = "masks", value_parser = super::bounds::masked_share)]
    masked_share: Option<f64>,
    /// Draw most sketches as people draw, on blank paper (the outline, the outline with a few
    /// interior lines, the subject's edges; the subject often shrunk and moved), their targets
    /// the subject over a calm background: `blur` (the photo's background blurred away) or
    /// `paper`. A quarter stay photo edges over the real background. Needs --masks (every
    /// photo with one: `pix2paint segment predict` writes them).
    #[arg(long, value_enum, requires = "masks")]
    drawings: Option<BackdropArg>,
    /// Share of the hinted examples whose cat (and, half the time, background) is turned to
    /// another colour, so that a dab of any colour recolours the region it lies in (e.g. 0.5).
    #[arg(long, requires = "hints", value_parser = super::bounds::share)]
    recolour_hints: Option<f64>,
    /// Share of the simulated hints drawn as short strokes instead of square dabs (e.g. 0.4).
    #[arg(long, requires = "hints", value_parser = super::bounds::share)]
    stroke_hints: Option<f64>,
    /// Initialise a new model's transposed convolutions at random, as pix2pix did, instead of
    /// ICNR (which starts without a checkerboard).
    #[arg(long)]
    no_icnr: bool,
    /// Keep the decoders' four sub-pixel phases tied after every step (each decoder stays a
    /// nearest-neighbour upsampling + 3×3 convolution): no checkerboard at any step.
    #[arg(long)]
    tie_phases: bool,
    /// PatchGANs in a new discriminator, each judging the pair halved once more (pix2pixHD's
    /// multi-scale discriminator; 2 sees whole cats); a loaded one gains fresh coarse ones.
    #[arg(long, default_value_t = 1, value_parser = super::bounds::d_scales)]
    d_scales: usize,
    /// Weight of pix2pixHD's feature-matching loss on the discriminator's features (e.g. 10).
    #[arg(long, default_value_t = 0.0, value_parser = super::bounds::feature_matching)]
    feature_matching: f64,
    /// L1 weight on the background of photos with a foreground mask (`--lambda` stays the
    /// weight on the cat and on photos without one), e.g. `--lambda 100 --lambda-background
    /// 200`: a calm background and a freer, more colourful cat.
    #[arg(long, value_parser = super::bounds::lambda)]
    lambda_background: Option<f64>,
    /// Also keep the model of every checkpoint (G + D, half precision) in this folder as
    /// `step-NNNNNN.safetensors`, to pick the best one later with `pix2paint eval`.
    #[arg(long)]
    snapshots: Option<PathBuf>,
}

/// Run the training job in this thread.
pub fn run(args: TrainArgs) -> Result<()> {
    let layout = match args.layout {
        LayoutArg::Auto => Layout::Auto,
        LayoutArg::Aligned => Layout::Aligned,
        LayoutArg::Folders => Layout::Folders,
        LayoutArg::Photos => Layout::Photos,
    };
    let direction = Direction::from_btoa(args.btoa);
    let data = Dataset::open(&args.data, layout, direction, args.masks.clone())?;
    eprintln!(
        "pix2paint: {} examples ({:?} layout) in {}",
        data.len(),
        data.layout,
        data.root.display()
    );
    if !data.skipped.is_empty() {
        eprintln!("pix2paint: skipped {} files:", data.skipped.len());
        for (p, why) in data.skipped.iter().take(20) {
            eprintln!("  {}: {why}", p.display());
        }
        if data.skipped.len() > 20 {
            eprintln!("  … and {} more", data.skipped.len() - 20);
        }
    }
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }

    let steps = match (args.steps, args.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => pix2paint::train::steps_for_epochs(e, data.len(), args.batch_size)
            .with_context(|| {
                format!(
                    "--epochs {e} over {} examples is more than a billion steps; give fewer",
                    data.len()
                )
            })?,
        (None, None) => bail!("say how long to train: --steps N or --epochs N"),
    };
    if let Some(from) = args.decay_from.filter(|&from| from >= steps) {
        bail!(
            "--decay-from {from} is not before the run's last step ({steps}); give a smaller step"
        );
    }
    let config = TrainConfig {
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
    };
    let checkpoint = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| args.out.with_extension("ckpt.safetensors"));
    // Every folder the run writes into, tried now rather than when its first file is due.
    let model_dir = args.out.parent().unwrap_or(Path::new(""));
    let checkpoint_dir = checkpoint.parent().unwrap_or(Path::new(""));
    let folders = [Some(model_dir), Some(checkpoint_dir)]
        .into_iter()
        .chain([args.samples.as_deref(), args.snapshots.as_deref()]);
    for dir in folders.flatten() {
        pix2paint::files::check_writable(dir).with_context(|| {
            format!(
                "the run could not write into {}: give a folder it can write to",
                dir.display()
            )
        })?;
    }
    let start = if checkpoint.is_file() && !args.fresh {
        eprintln!("pix2paint: resuming {}", checkpoint.display());
        Start::Resume(checkpoint.clone())
    } else if let Some(from) = &args.from {
        Start::FineTune(from.clone())
    } else {
        Start::Fresh {
            name: args
                .out
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        }
    };
    let compute = super::select_device(args.cpu);
    let job = Job {
        data,
        config,
        start,
        output: args.out.clone(),
        checkpoint,
    };
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {msg} ETA {eta}")
            .expect("valid template"),
    );
    let (control_tx, control) = std::sync::mpsc::channel::<Control>();
    // Ctrl+C or SIGTERM: finish the step, write the checkpoint and the model, and say how to go
    // on; a second signal ends at once (the last checkpoint stays whole).
    let stop_bar = bar.clone();
    pix2paint::signals::on_stop(move |sig| {
        stop_bar.suspend(|| {
            eprintln!(
                "pix2paint: {} received: stopping after this step and writing the checkpoint \
                 (send it again to quit at once)",
                pix2paint::signals::name(sig)
            )
        });
        let _ = control_tx.send(Control::Stop);
    });
    let log_every = args.log_every.max(1);
    let samples_dir = args.samples.clone();
    // Batch-1 losses jump from step to step; the log shows their mean since the last line.
    let mut since_log = (0u64, [0f64; 4]);
    let result = train::run(
        &job,
        &compute.device.clone().autodiff(),
        |event| match event {
            TrainEvent::Started {
                step,
                total,
                examples,
                masked,
            } => {
                bar.set_length(total);
                bar.set_position(step);
                bar.reset_eta();
                say(&bar, train::describe_split(examples.0, examples.1));
                if let Some((photos, share)) = masked {
                    say(
                        &bar,
                        format!(
                            "{photos} of them {} a mask; {:.0} % of the examples come from them",
                            if photos == 1 { "has" } else { "have" },
                            share * 100.0
                        ),
                    );
                }
            }
            TrainEvent::Progress {
                step,
                losses,
                steps_per_sec,
                data_share,
                ..
            } => {
                bar.set_position(step);
                bar.set_message(format!("{steps_per_sec:.2} steps/s"));
                let (n, sums) = &mut since_log;
                *n += 1;
                let values = [losses.d, losses.g_gan, losses.g_l1].map(f64::from);
                for (sum, v) in sums.iter_mut().zip(values.into_iter().chain([data_share])) {
                    *sum += v;
                }
                if step % log_every == 0 {
                    let [d, g_gan, g_l1, data] = sums.map(|sum| sum / *n as f64);
                    say(
                        &bar,
                        format!(
                            "step {step}: D {d:.3}  G_GAN {g_gan:.3}  G_L1 {g_l1:.4}  (mean of {n} steps; {steps_per_sec:.2} steps/s, {:.0} % in data{})",
                            100.0 * data,
                            pix2paint::memory::resident_bytes()
                                .map(|b| format!(", {} MB resident", b >> 20))
                                .unwrap_or_default()
                        ),
                    );
                    since_log = (0, [0.0; 4]);
                }
            }
            TrainEvent::Checkpoint { step, path, .. } => {
                say(&bar, format!("step {step}: checkpoint {}", path.display()));
                if let Some(dir) = &args.snapshots
                    && let Err(e) = super::run_files::snapshot(&path, dir, step)
                {
                    say(
                        &bar,
                        format!(
                            "step {step}: the snapshot could not be kept ({e:#}); training goes on"
                        ),
                    );
                }
            }
            TrainEvent::Samples { step, images } => {
                if let Some(dir) = &samples_dir
                    && let Err(e) = super::run_files::save_samples(dir, step, &images)
                {
                    say(
                        &bar,
                        format!(
                            "step {step}: the samples could not be written ({e:#}); training goes on"
                        ),
                    );
                }
            }
            TrainEvent::Skipped { name, error, left } => say(
                &bar,
                format!("skipped {name}: {error}; training goes on with {left} examples"),
            ),
            TrainEvent::CheckpointFailed {
                step,
                last_good,
                error,
            } => say(
                &bar,
                format!(
                    "step {step}: the checkpoint could not be written ({error}); training goes on, \
                     the last checkpoint is still step {last_good}'s"
                ),
            ),
            TrainEvent::Diverged { step, restored } => say(
                &bar,
                format!(
                    "step {step}: a loss became NaN/infinite; restored the checkpoint of step {restored}"
                ),
            ),
            TrainEvent::Paused(_) => {}
            TrainEvent::Finished { step, path, .. } => {
                bar.finish_and_clear();
                eprintln!("pix2paint: wrote {} after {step} steps", path.display());
            }
        },
        &control,
    );
    result.context("training stopped")?;
    if let Some(sig) = pix2paint::signals::received() {
        eprintln!(
            "pix2paint: stopped by {}; the checkpoint {} continues the run: give the same \
             command again",
            pix2paint::signals::name(sig),
            job.checkpoint.display()
        );
        // The shell's convention for a command ended by a signal.
        std::process::exit(128 + sig);
    }
    Ok(())
}

/// Print a line above the progress bar, or plainly when stderr is not a terminal (a log file
/// then still gets every line).
fn say(bar: &ProgressBar, line: String) {
    bar.suspend(|| eprintln!("{line}"));
}

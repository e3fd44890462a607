//! The training loop shared by the CLI and the app's panel: a job, its reports, its controls.

use super::config::{Losses, TrainConfig, TrainError};
use super::gan::Gan;
use crate::dataset::{Augment, Dataset, prepare_example};
use crate::model::{DEPTH, NormStats, SIZE_MULTIPLE};
use crate::rng::Rng as TrainRng;
use crate::tensor_image::{images_to_tensor, tensor_to_images};
use crate::weights::{self, Precision, WeightsError};
use burn::module::Module;
use burn::tensor::Device;
use image::RgbImage;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Where a run starts from.
#[derive(Debug, Clone)]
pub enum Start {
    /// New networks.
    Fresh {
        /// Name of the model to write.
        name: String,
    },
    /// Fine-tune this model file.
    FineTune(PathBuf),
    /// Continue this checkpoint.
    Resume(PathBuf),
}

/// A training run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The data.
    pub data: Dataset,
    /// The schedule (ignored when resuming: the checkpoint's own is used, `steps` excepted).
    pub config: TrainConfig,
    /// Where to start.
    pub start: Start,
    /// The model written at the end (and on stop).
    pub output: PathBuf,
    /// The checkpoint file.
    pub checkpoint: PathBuf,
}

/// Reports from a run.
#[derive(Debug, Clone)]
pub enum TrainEvent {
    /// The run started.
    Started {
        /// Step it starts at.
        step: u64,
        /// Steps to reach.
        total: u64,
        /// Training / held-out examples.
        examples: (usize, usize),
        /// For a run that weights masked photos up: how many training photos have a mask, and
        /// the share of the examples drawn from them.
        masked: Option<(usize, f64)>,
    },
    /// A step finished.
    Progress {
        /// Steps done.
        step: u64,
        /// Steps to reach.
        total: u64,
        /// This step's losses.
        losses: Losses,
        /// Recent speed.
        steps_per_sec: f64,
        /// Estimated time left.
        eta: Duration,
        /// Share of the step spent reading and preparing its examples (the rest is the GAN).
        data_share: f64,
    },
    /// Previews on held-out examples: (sketch, generated, target).
    Samples {
        /// At which step.
        step: u64,
        /// The triples.
        images: Vec<(RgbImage, RgbImage, RgbImage)>,
    },
    /// A checkpoint was written (also a usable model).
    Checkpoint {
        /// At which step.
        step: u64,
        /// The file.
        path: PathBuf,
        /// The generator that paints at this step, in memory: the live canvas takes it from
        /// here instead of reading the whole checkpoint (G, D, both optimizers) back from disk.
        painter: Box<crate::inference::Painter>,
    },
    /// A training file could not be read (deleted, truncated or replaced during the run): it
    /// is drawn no more, and the run goes on with the others.
    Skipped {
        /// The file's name in the dataset.
        name: String,
        /// Why.
        error: std::sync::Arc<crate::imaging::ImageReadError>,
        /// Training examples left.
        left: usize,
    },
    /// A checkpoint could not be written (a full disk, a vanished folder): the run goes on, and
    /// the last good checkpoint stays as it was.
    CheckpointFailed {
        /// The step whose checkpoint is missing.
        step: u64,
        /// The step of the last checkpoint written.
        last_good: u64,
        /// Why.
        error: std::sync::Arc<WeightsError>,
    },
    /// A loss became NaN/infinite: the last good checkpoint was restored and the run stopped.
    Diverged {
        /// Step where it happened.
        step: u64,
        /// Step of the restored checkpoint.
        restored: u64,
    },
    /// Paused (true) or resumed (false).
    Paused(bool),
    /// The run ended and the model was written.
    Finished {
        /// Steps done.
        step: u64,
        /// The model file.
        path: PathBuf,
        /// The generator the model file holds, in memory (as with checkpoints).
        painter: Box<crate::inference::Painter>,
    },
}

/// Control messages for a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Pause after the current step.
    Pause,
    /// Continue.
    Resume,
    /// Write the model and stop.
    Stop,
}

/// Run a job to its end (or until stopped). `device` must be an autodiff device. Events are
/// passed to `report`; `control` is polled between steps.
pub fn run(
    job: &Job,
    device: &Device,
    mut report: impl FnMut(TrainEvent),
    control: &Receiver<Control>,
) -> Result<(), TrainError> {
    let side = job.config.resolution as usize;
    if side == 0 || !side.is_multiple_of(SIZE_MULTIPLE) {
        return Err(TrainError::Settings(format!(
            "the training resolution must be a multiple of {SIZE_MULTIPLE} (the U-Net halves \
             it {DEPTH} times); {side} is not"
        )));
    }
    if job.config.batch_size == 0 || job.config.steps == 0 {
        return Err(TrainError::Settings(
            "batch size and step count must be at least 1".into(),
        ));
    }
    if let Some(problem) = job.config.problem() {
        return Err(TrainError::Settings(format!(
            "the settings cannot train: {problem}"
        )));
    }
    let (mut gan, config) = match &job.start {
        Start::Fresh { name } => (Gan::new(&job.config, name, device), job.config.clone()),
        Start::FineTune(path) => {
            let model = weights::load(path, device)?;
            (
                Gan::from_model(model, &job.config, device),
                job.config.clone(),
            )
        }
        Start::Resume(path) => {
            let (gan, mut config) = Gan::resume(path, device)?;
            config.steps = job.config.steps.max(gan.step);
            (gan, config)
        }
    };
    // Writes of an earlier run killed mid-checkpoint leave their temporary files behind.
    for path in [&job.checkpoint, &job.output] {
        crate::files::remove_stale_temporaries(path);
    }
    let (train, held_out) = job.data.split(20);
    let mut pool = super::batch::Pool::new(&job.data, &train, config.masked_share);
    if config.masked_share.is_some() && pool.masked() == 0 {
        return Err(TrainError::Settings(
            "a share of masked examples was asked for, but no training photo has a mask: \
             give the folder of masks (named like the photos, .png), or leave the share out"
                .into(),
        ));
    }
    report(TrainEvent::Started {
        step: gan.step,
        total: config.steps,
        examples: (train.len(), held_out.len()),
        masked: config.masked_share.map(|share| (pool.masked(), share)),
    });
    // A first checkpoint, so that a diverging run always has something to go back to.
    if !matches!(job.start, Start::Resume(_)) {
        gan.save_checkpoint(&job.checkpoint, &config)?;
    }
    let mut last_good = gan.step;
    let mut speed = SpeedMeter::default();
    let mut paused = false;
    while gan.step < config.steps {
        match if paused {
            control.recv().map_err(|_| TryRecvError::Disconnected)
        } else {
            control.try_recv()
        } {
            Ok(Control::Stop) | Err(TryRecvError::Disconnected) => break,
            Ok(Control::Pause) => {
                if !paused {
                    paused = true;
                    report(TrainEvent::Paused(true));
                }
                continue;
            }
            Ok(Control::Resume) => {
                if paused {
                    paused = false;
                    speed = SpeedMeter::default();
                    report(TrainEvent::Paused(false));
                }
            }
            Err(TryRecvError::Empty) => {}
        }
        let t = Instant::now();
        let batch = {
            let hint_channels = gan.g_config.hint_channels;
            let mut skipped = |i: usize, error: crate::imaging::ImageReadError, left: usize| {
                report(TrainEvent::Skipped {
                    name: job.data.name(i),
                    error: std::sync::Arc::new(error),
                    left,
                })
            };
            let (data, config) = (&job.data, &config);
            super::batch::draw(
                data,
                &mut pool,
                config,
                hint_channels,
                gan.rng(),
                device,
                &mut skipped,
            )?
        };
        let data_time = t.elapsed();
        let losses = gan.step_weighted(batch.input, batch.photo, batch.l1_weight, &config);
        if !losses.finite() {
            let step = gan.step;
            // Go back to the last good state and leave it as the run's model.
            let (restored, _) = Gan::resume(&job.checkpoint, device)?;
            restored.save_model(&job.output, Precision::Full)?;
            report(TrainEvent::Diverged {
                step,
                restored: last_good,
            });
            return Err(TrainError::NonFinite {
                step,
                what: if losses.d.is_nan() || losses.g_gan.is_nan() || losses.g_l1.is_nan() {
                    "NaN"
                } else {
                    "infinite"
                },
            });
        }
        speed.add(t.elapsed());
        report(TrainEvent::Progress {
            step: gan.step,
            total: config.steps,
            losses,
            steps_per_sec: speed.per_sec(),
            eta: speed.eta(config.steps - gan.step),
            data_share: data_time.as_secs_f64() / t.elapsed().as_secs_f64().max(1e-9),
        });
        if gan.step % config.checkpoint_every.max(1) == 0 {
            match gan.save_checkpoint(&job.checkpoint, &config) {
                Ok(()) => {
                    last_good = gan.step;
                    report(TrainEvent::Checkpoint {
                        step: gan.step,
                        path: job.checkpoint.clone(),
                        painter: Box::new(gan.painter()),
                    });
                }
                // Only the file is missing: train on, and try again at the next checkpoint.
                Err(TrainError::Weights(error @ WeightsError::Io { .. })) => {
                    report(TrainEvent::CheckpointFailed {
                        step: gan.step,
                        last_good,
                        error: std::sync::Arc::new(error),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        if config.sample_every > 0 && gan.step % config.sample_every == 0 {
            report(TrainEvent::Samples {
                step: gan.step,
                images: samples(&gan, &job.data, &held_out, &config),
            });
        }
    }
    // The model first: if the disk fills up now, the run's result is what survives.
    gan.save_model(&job.output, Precision::Full)?;
    gan.save_checkpoint(&job.checkpoint, &config)?;
    report(TrainEvent::Finished {
        step: gan.step,
        path: job.output.clone(),
        painter: Box::new(gan.painter()),
    });
    Ok(())
}

/// How a run's examples were split, in words.
pub fn describe_split(train: usize, held_out: usize) -> String {
    if train == held_out {
        format!(
            "training on {train} pairs (too few to hold some out: previews show training pairs)"
        )
    } else {
        format!("training on {train} pairs, previews from {held_out} held-out ones")
    }
}

/// Paint up to four held-out examples with the current generator (dropout off, as at test time).
pub fn samples(
    gan: &Gan,
    data: &Dataset,
    held_out: &[usize],
    config: &TrainConfig,
) -> Vec<(RgbImage, RgbImage, RgbImage)> {
    let g = gan.inference_generator();
    let device = g.devices().first().cloned().unwrap_or_else(Device::flex);
    let plain = Augment::NONE;
    let mut rng = TrainRng::seed_from_u64(0);
    // A run that draws like people shows every other preview as a drawing on blank paper
    // (drawn with its own generator, so the others are as they always were).
    let mut draw_rng = TrainRng::seed_from_u64(1);
    let drawn = config.drawings.map(|d| crate::dataset::Drawings {
        photo_share: 0.0,
        ..d
    });
    held_out
        .iter()
        .take(4)
        .enumerate()
        .filter_map(|(k, &i)| match &drawn {
            Some(d) if k % 2 == 1 => data.load_drawn(i, d, &mut draw_rng).ok(),
            _ => data.load(i).ok(),
        })
        .map(|ex| {
            let ex = prepare_example(&ex, config.resolution, &plain, &mut rng);
            let x = images_to_tensor(&[&ex.sketch], &device);
            let y = g.forward(x, NormStats::Batch, None);
            let painted = tensor_to_images(y).remove(0);
            (ex.sketch, painted, ex.photo)
        })
        .collect()
}

/// Steps per second over the recent steps, and the time left.
#[derive(Default)]
struct SpeedMeter {
    recent: std::collections::VecDeque<Duration>,
}

impl SpeedMeter {
    fn add(&mut self, d: Duration) {
        self.recent.push_back(d);
        if self.recent.len() > 20 {
            self.recent.pop_front();
        }
    }
    fn per_sec(&self) -> f64 {
        let total: f64 = self.recent.iter().map(Duration::as_secs_f64).sum();
        if total > 0.0 {
            self.recent.len() as f64 / total
        } else {
            0.0
        }
    }
    fn eta(&self, steps_left: u64) -> Duration {
        let s = self.per_sec();
        if s > 0.0 {
            Duration::from_secs_f64(steps_left as f64 / s)
        } else {
            Duration::ZERO
        }
    }
}

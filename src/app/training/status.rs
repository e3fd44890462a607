//! What the Training panel shows of the dataset and the run, and the one way it changes:
//! [`RunStatus::on_event`].

use crate::train::{Losses, TrainEvent};
use egui::TextureHandle;
use image::RgbImage;
use std::path::PathBuf;
use std::time::Duration;

/// The opened dataset, as the panel shows it.
pub struct DataSummary {
    /// Usable pairs.
    pub pairs: usize,
    /// Files skipped while reading it.
    pub skipped: usize,
    /// A few of its pairs, side by side.
    pub previews: Vec<TextureHandle>,
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// No run.
    Idle,
    /// Training.
    Running,
    /// Paused by the user.
    Paused,
}

/// How far the run is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub step: u64,
    /// Steps in all.
    pub total: u64,
    /// Recent speed.
    pub steps_per_sec: f64,
    /// Estimated time left.
    pub eta: Duration,
}

/// Something that changes what the panel shows.
pub enum PanelEvent<'a> {
    /// The dataset is being read; `previous_run` is the checkpoint of an unfinished run on it.
    Reading {
        /// Checkpoint that can be continued.
        previous_run: Option<PathBuf>,
    },
    /// The dataset was read.
    DatasetOpened {
        /// Usable pairs.
        pairs: usize,
        /// Files skipped.
        skipped: usize,
        /// A few pairs, side by side.
        previews: Vec<RgbImage>,
    },
    /// The dataset could not be read (the problem is shown on its own).
    DatasetFailed,
    /// A run is starting.
    Starting,
    /// The trainer reported.
    Trainer(&'a TrainEvent),
    /// The run's thread ended; `continuable` is its checkpoint when the run stopped early.
    Ended {
        /// Checkpoint to continue from.
        continuable: Option<PathBuf>,
        /// Whether it failed (the reason is shown as a problem).
        failed: bool,
    },
    /// A status line (e.g. where a model was saved).
    Said(String),
}

/// What the panel shows of the dataset and the run.
pub struct RunStatus {
    /// The opened dataset.
    pub summary: Option<DataSummary>,
    /// Whether a run is going.
    pub state: RunState,
    /// How far it is.
    pub progress: Option<Progress>,
    /// Loss history.
    pub losses: Vec<(u64, Losses)>,
    /// Held-out previews (sketch | generated | target rows).
    pub samples: Vec<TextureHandle>,
    /// Last status line.
    pub message: Option<String>,
    /// The newest model written by the run.
    pub latest: Option<PathBuf>,
    /// The checkpoint of an earlier run on this dataset, which can be continued.
    pub previous_run: Option<PathBuf>,
}

impl Default for RunStatus {
    fn default() -> Self {
        Self {
            summary: None,
            state: RunState::Idle,
            progress: None,
            losses: Vec::new(),
            samples: Vec::new(),
            message: None,
            latest: None,
            previous_run: None,
        }
    }
}

impl RunStatus {
    /// Fold one event into what is shown.
    pub fn on_event(&mut self, ctx: &egui::Context, event: PanelEvent<'_>) {
        match event {
            PanelEvent::Reading { previous_run } => {
                self.previous_run = previous_run;
                self.summary = None;
                self.message = Some("reading the dataset…".into());
            }
            PanelEvent::DatasetOpened {
                pairs,
                skipped,
                previews,
            } => {
                let previews = previews
                    .iter()
                    .enumerate()
                    .map(|(i, p)| crate::app::texture::upload(ctx, &format!("pair{i}"), p))
                    .collect();
                self.summary = Some(DataSummary {
                    pairs,
                    skipped,
                    previews,
                });
                self.message = None;
            }
            PanelEvent::DatasetFailed => self.message = None,
            PanelEvent::Starting => {
                self.previous_run = None;
                self.losses.clear();
                self.samples.clear();
                self.message = Some("starting…".into());
                self.state = RunState::Running;
            }
            PanelEvent::Trainer(e) => self.on_trainer(ctx, e),
            PanelEvent::Ended {
                continuable,
                failed,
            } => {
                self.state = RunState::Idle;
                // A stopped run can be continued from its last checkpoint.
                let unfinished = self.progress.is_some_and(|p| p.step < p.total);
                self.previous_run = continuable.filter(|_| unfinished);
                if failed {
                    // The reason is shown as a problem; the panel says where the run is.
                    self.message = Some("training stopped".into());
                }
            }
            PanelEvent::Said(m) => self.message = Some(m),
        }
    }

    fn on_trainer(&mut self, ctx: &egui::Context, e: &TrainEvent) {
        match e {
            TrainEvent::Started { examples, .. } => {
                self.message = Some(crate::train::describe_split(examples.0, examples.1))
            }
            TrainEvent::Progress {
                step,
                total,
                losses,
                steps_per_sec,
                eta,
                ..
            } => {
                self.progress = Some(Progress {
                    step: *step,
                    total: *total,
                    steps_per_sec: *steps_per_sec,
                    eta: *eta,
                });
                self.losses.push((*step, *losses));
            }
            TrainEvent::Samples { images, .. } => {
                self.samples = images
                    .iter()
                    .enumerate()
                    .map(|(i, (s, g, t))| {
                        let row = crate::tiles::row(&[s, g, t]);
                        crate::app::texture::upload(ctx, &format!("sample{i}"), &row)
                    })
                    .collect();
            }
            TrainEvent::Checkpoint { path, step, .. } => {
                self.latest = Some(path.clone());
                self.message = Some(format!("step {step}: checkpoint saved"));
            }
            TrainEvent::Skipped { name, error, left } => {
                self.message = Some(format!(
                    "skipped {name} ({error}); training goes on with {left} examples"
                ))
            }
            TrainEvent::CheckpointFailed {
                step,
                last_good,
                error,
            } => {
                self.message = Some(format!(
                    "step {step}: the checkpoint could not be written ({error}); training goes \
                     on, the last checkpoint is step {last_good}'s"
                ))
            }
            TrainEvent::Diverged { step, restored } => {
                self.message = Some(format!(
                    "a loss became NaN/infinite at step {step}: restored the checkpoint of step \
                     {restored} and stopped. Try a lower learning rate."
                ))
            }
            TrainEvent::Paused(p) => {
                self.state = if *p {
                    RunState::Paused
                } else {
                    RunState::Running
                }
            }
            TrainEvent::Finished { step, path, .. } => {
                let total = self.progress.map_or(*step, |p| p.total);
                self.message = Some(if *step < total {
                    format!(
                        "stopped at step {step} of {total}; model saved: {}",
                        path.display()
                    )
                } else {
                    format!("finished after {step} steps: {}", path.display())
                });
                self.latest = Some(path.clone());
            }
        }
    }
}

//! The training run behind the panel: the Training panel's commands carried out, the opened
//! dataset, the trainer thread and its reports, and where a run on a dataset keeps its files.

use super::command::TrainCommand;
use super::dialogs::Dialog;
use super::effects::Effect;
use super::live::Live;
use super::settings::Autosave;
use super::training::{PanelEvent, TrainingPanel};
use super::windows::Windows;
use crate::dataset::Dataset;
use crate::train::{Control, Job, Start, TrainEvent, TrainerMessage, TrainerThread};
use std::path::{Path, PathBuf};

/// The files of a run on one dataset.
pub struct RunFiles {
    /// The model written at the end (and on stop).
    pub model: PathBuf,
    /// The checkpoint, to continue from.
    pub checkpoint: PathBuf,
    /// The model's name (the dataset folder's).
    pub name: String,
}

/// The dataset and the run.
pub struct Trainer {
    /// Where models trained in the app go.
    models_dir: PathBuf,
    dataset: Option<Dataset>,
    thread: Option<TrainerThread>,
}

impl Trainer {
    /// Runs write their models beside the autosave folder (`models/`), or in the temp folder.
    pub fn new(autosave: Option<&Autosave>) -> Self {
        Self {
            models_dir: autosave
                .map(Autosave::models_dir)
                .unwrap_or_else(|| std::env::temp_dir().join("pix2paint-models")),
            dataset: None,
            thread: None,
        }
    }

    /// The files of a run on the dataset in `root`.
    pub fn run_files(&self, root: &Path) -> RunFiles {
        let name = root
            .file_name()
            .map_or("trained".into(), |n| n.to_string_lossy().into_owned());
        RunFiles {
            model: self.models_dir.join(format!("{name}.safetensors")),
            checkpoint: self.models_dir.join(format!("{name}.ckpt.safetensors")),
            name,
        }
    }

    /// The dataset asked for was read: train on it.
    pub fn dataset_opened(
        &mut self,
        ctx: &egui::Context,
        d: Dataset,
        previews: Vec<image::RgbImage>,
        panel: &mut TrainingPanel,
    ) {
        let (pairs, skipped) = (d.len(), d.skipped.len());
        self.dataset = Some(d);
        panel.on_event(
            ctx,
            PanelEvent::DatasetOpened {
                pairs,
                skipped,
                previews,
            },
        );
    }

    /// The checkpoint of an unfinished run on the opened dataset, if it is on disk.
    fn continuable(&self) -> Option<PathBuf> {
        let d = self.dataset.as_ref()?;
        let checkpoint = self.run_files(&d.root).checkpoint;
        checkpoint.is_file().then_some(checkpoint)
    }

    /// Carry out a Training panel command.
    pub fn command(
        &mut self,
        ctx: &egui::Context,
        command: TrainCommand,
        panel: &mut TrainingPanel,
        live: &Live,
        windows: &mut Windows,
    ) -> Vec<Effect> {
        match command {
            TrainCommand::TogglePanel => panel.toggle(),
            TrainCommand::PickData => return vec![Effect::Ask(Dialog::DataFolder)],
            TrainCommand::PickMasks => return vec![Effect::Ask(Dialog::MasksFolder)],
            TrainCommand::SaveAs => {
                if panel.status().latest.is_some() {
                    return vec![Effect::Ask(Dialog::SaveTrained)];
                }
            }
            TrainCommand::OpenData(dir) => {
                panel.set_data_dir(dir);
                return self.open_dataset(ctx, panel);
            }
            TrainCommand::ReloadData => return self.open_dataset(ctx, panel),
            TrainCommand::SetMasks(dir) => {
                panel.set_masks_dir(dir);
                return self.open_dataset(ctx, panel);
            }
            TrainCommand::Start => {
                return self
                    .start_training(false, panel, live, windows)
                    .into_iter()
                    .collect();
            }
            TrainCommand::Continue => {
                return self
                    .start_training(true, panel, live, windows)
                    .into_iter()
                    .collect();
            }
            TrainCommand::Pause => self.send(Control::Pause),
            TrainCommand::Resume => self.send(Control::Resume),
            TrainCommand::Stop => self.send(Control::Stop),
            TrainCommand::SaveTo(dest) => {
                if let Some(src) = panel.status().latest.clone() {
                    return vec![Effect::CopyModel {
                        src,
                        dest,
                        info: None,
                        for_training: true,
                    }];
                }
            }
        }
        Vec::new()
    }

    fn open_dataset(&mut self, ctx: &egui::Context, panel: &mut TrainingPanel) -> Vec<Effect> {
        let form = panel.form();
        let Some(dir) = form.data_dir.clone() else {
            return Vec::new();
        };
        let effect = Effect::OpenDataset {
            layout: form.layout,
            direction: crate::weights::Direction::from_btoa(form.btoa),
            masks: form.masks_dir.clone(),
            dir: dir.clone(),
        };
        let checkpoint = self.run_files(&dir).checkpoint;
        self.dataset = None;
        panel.on_event(
            ctx,
            PanelEvent::Reading {
                previous_run: checkpoint.is_file().then_some(checkpoint),
            },
        );
        vec![effect]
    }

    /// The run to start (performed as an effect), or `None` with the reason shown.
    fn start_training(
        &mut self,
        continue_previous: bool,
        panel: &mut TrainingPanel,
        live: &Live,
        windows: &mut Windows,
    ) -> Option<Effect> {
        let data = self.dataset.clone()?;
        let pairs = data.len();
        let form = panel.form();
        let mut config = form.config.clone();
        if form.by_epochs {
            match crate::train::steps_for_epochs(form.epochs, pairs, config.batch_size) {
                Some(steps) => config.steps = steps,
                None => {
                    let text = format!(
                        "{} epochs over {pairs} pairs is more than a billion steps; give fewer \
                         epochs.",
                        form.epochs
                    );
                    windows.report(text);
                    return None;
                }
            }
        }
        let files = self.run_files(&data.root);
        let start = match (live.model_path(), form.fine_tune) {
            _ if continue_previous && files.checkpoint.is_file() => {
                Start::Resume(files.checkpoint.clone())
            }
            (Some(p), true) => Start::FineTune(p.clone()),
            _ => Start::Fresh { name: files.name },
        };
        let job = Job {
            data,
            config,
            start,
            output: files.model,
            checkpoint: files.checkpoint,
        };
        Some(Effect::Train {
            job: Box::new(job),
            device: live.compute().device.clone(),
        })
    }

    /// The run's thread started.
    pub fn started(
        &mut self,
        ctx: &egui::Context,
        thread: TrainerThread,
        panel: &mut TrainingPanel,
    ) {
        self.thread = Some(thread);
        panel.on_event(ctx, PanelEvent::Starting);
    }

    /// Take in the trainer's reports: the panel shows them, the live canvas paints with each
    /// checkpoint's and the final model's generator, handed over in memory.
    pub fn drain(
        &mut self,
        ctx: &egui::Context,
        panel: &mut TrainingPanel,
        live: &Live,
        windows: &mut Windows,
    ) {
        while let Some(message) = self.next_message() {
            match message {
                TrainerMessage::Event(e) => {
                    panel.on_event(ctx, PanelEvent::Trainer(&e));
                    if let TrainEvent::Checkpoint { path, painter, .. }
                    | TrainEvent::Finished { path, painter, .. } = e
                    {
                        live.swap_painter(*painter, path);
                    }
                }
                TrainerMessage::Done(result) => {
                    let failed = result.is_err();
                    if let Err(e) = result {
                        windows.report(format!("training stopped: {e}"));
                    }
                    let continuable = self.continuable();
                    panel.on_event(
                        ctx,
                        PanelEvent::Ended {
                            continuable,
                            failed,
                        },
                    );
                }
            }
        }
    }

    /// Pause, resume or stop the run, if one is going.
    fn send(&self, c: Control) {
        if let Some(t) = &self.thread {
            t.send(c);
        }
    }

    /// The next report of the run; the run is forgotten once it says it is done.
    fn next_message(&mut self) -> Option<TrainerMessage> {
        let m = self.thread.as_ref()?.try_recv()?;
        if matches!(m, TrainerMessage::Done(_)) {
            self.thread = None;
        }
        Some(m)
    }
}

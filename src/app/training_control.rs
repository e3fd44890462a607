//! The training panel's controller: opening a dataset, starting and steering the trainer
//! thread, and folding its events into the app.

use super::*;

impl PaintApp {
    /// Carry out one training command.
    pub(super) fn apply_train(&mut self, ctx: &egui::Context, command: TrainCommand) {
        match command {
            TrainCommand::PickData | TrainCommand::PickMasks | TrainCommand::SaveAs => {
                if let Some(next) = self.ask_train(&command) {
                    self.apply_train(ctx, next);
                }
            }
            TrainCommand::TogglePanel => self.training.open = !self.training.open,
            TrainCommand::OpenData(dir) => {
                self.training.data_dir = Some(dir);
                self.apply_train(ctx, TrainCommand::ReloadData);
            }
            TrainCommand::ReloadData => self.open_dataset(ctx),
            TrainCommand::Start => self.start_training(ctx, false),
            TrainCommand::Continue => self.start_training(ctx, true),
            TrainCommand::SetMasks(dir) => {
                self.training.masks_dir = dir;
                self.apply_train(ctx, TrainCommand::ReloadData);
            }
            TrainCommand::Pause => self.send_trainer(Control::Pause),
            TrainCommand::Resume => self.send_trainer(Control::Resume),
            TrainCommand::Stop => self.send_trainer(Control::Stop),
            TrainCommand::SaveTo(dest) => {
                if let Some(src) = self.training.latest.clone() {
                    self.run_background(ctx, move || {
                        Background::Message(super::file_actions::copy_model(&src, &dest))
                    });
                }
            }
        }
    }

    pub(super) fn open_dataset(&mut self, ctx: &egui::Context) {
        let Some(dir) = self.training.data_dir.clone() else {
            return;
        };
        let (layout, btoa) = (self.training.layout, self.training.btoa);
        let masks = self.training.masks_dir.clone();
        let checkpoint = self.run_paths(&dir).1;
        self.training.previous_run = checkpoint.is_file().then_some(checkpoint);
        self.training.summary = None;
        self.dataset = None;
        self.training.message = Some("reading the dataset…".into());
        self.run_background(ctx, move || {
            let direction = crate::weights::Direction::from_btoa(btoa);
            Background::Dataset(
                Dataset::open(&dir, layout, direction, masks)
                    .map_err(|e| e.to_string())
                    .map(|d| {
                        let previews = (0..d.len().min(4))
                            .filter_map(|i| d.load(i).ok())
                            .map(|ex| side_by_side(&ex.sketch, &ex.photo))
                            .collect();
                        (d, previews)
                    }),
            )
        });
    }

    /// The model and checkpoint files of a run on the dataset in `root`.
    pub(super) fn run_paths(&self, root: &Path) -> (PathBuf, PathBuf, String) {
        let dir = self
            .autosave
            .as_ref()
            .map(Autosave::models_dir)
            .unwrap_or_else(|| std::env::temp_dir().join("pix2paint-models"));
        let name = root
            .file_name()
            .map_or("trained".into(), |n| n.to_string_lossy().into_owned());
        (
            dir.join(format!("{name}.safetensors")),
            dir.join(format!("{name}.ckpt.safetensors")),
            name,
        )
    }

    pub(super) fn start_training(&mut self, ctx: &egui::Context, continue_previous: bool) {
        let Some(data) = self.dataset.clone() else {
            return;
        };
        let (output, checkpoint, name) = self.run_paths(&data.root);
        let start = match (&self.model_path, self.training.fine_tune) {
            _ if continue_previous && checkpoint.is_file() => Start::Resume(checkpoint.clone()),
            (Some(p), true) => Start::FineTune(p.clone()),
            _ => Start::Fresh { name: name.clone() },
        };
        let mut config = self.training.config.clone();
        if self.training.by_epochs {
            let Some(steps) =
                crate::train::steps_for_epochs(self.training.epochs, data.len(), config.batch_size)
            else {
                self.training.message = Some(format!(
                    "{} epochs over {} pairs is more than a billion steps; give fewer epochs.",
                    self.training.epochs,
                    data.len()
                ));
                return;
            };
            config.steps = steps;
        }
        self.training.previous_run = None;
        let job = Job {
            data,
            config,
            start,
            output,
            checkpoint,
        };
        let notify = ctx.clone();
        self.training.losses.clear();
        self.training.samples.clear();
        self.training.message = Some("starting…".into());
        self.training.running = Some(false);
        self.trainer = Some(TrainerThread::spawn(
            job,
            self.compute.device.clone(),
            move || notify.request_repaint(),
        ));
    }

    pub(super) fn send_trainer(&self, c: Control) {
        if let Some(t) = &self.trainer {
            t.send(c);
        }
    }

    /// Apply reports from the trainer and background jobs.
    pub(super) fn drain_training(&mut self, ctx: &egui::Context) {
        let mut finished = Vec::new();
        for (k, rx) in self.background.iter().enumerate() {
            if let Ok(msg) = rx.try_recv() {
                finished.push(k);
                match msg {
                    Background::Dataset(Ok((d, previews))) => {
                        let textures = previews
                            .iter()
                            .enumerate()
                            .map(|(i, p)| super::texture::upload(ctx, &format!("pair{i}"), p))
                            .collect();
                        self.training.summary = Some((d.len(), d.skipped.len(), textures));
                        self.training.message = None;
                        self.dataset = Some(d);
                    }
                    Background::Dataset(Err(e)) | Background::Message(Err(e)) => {
                        self.training.message = Some(e)
                    }
                    Background::Message(Ok(m)) => self.training.message = Some(m),
                    Background::Notice(Ok(m)) => self.windows.notice = Some(m),
                    Background::Notice(Err(e)) => self.windows.error = Some(e),
                }
            }
        }
        for k in finished.into_iter().rev() {
            self.background.remove(k);
        }
        let mut done = false;
        while let Some(msg) = self.trainer.as_ref().and_then(|t| t.try_recv()) {
            match msg {
                TrainerMessage::Event(e) => self.on_train_event(ctx, e),
                TrainerMessage::Done(r) => {
                    done = true;
                    if let Err(e) = r {
                        self.training.message = Some(format!("training stopped: {e}"));
                    }
                }
            }
        }
        if done {
            self.trainer = None;
            self.training.running = None;
            // A stopped run can be continued from its last checkpoint.
            let unfinished = self
                .training
                .progress
                .is_some_and(|(step, total, ..)| step < total);
            if let Some(d) = &self.dataset {
                let checkpoint = self.run_paths(&d.root).1;
                self.training.previous_run =
                    (unfinished && checkpoint.is_file()).then_some(checkpoint);
            }
        }
    }

    pub(super) fn on_train_event(&mut self, ctx: &egui::Context, e: TrainEvent) {
        match e {
            TrainEvent::Started { examples, .. } => {
                self.training.message = Some(crate::train::describe_split(examples.0, examples.1))
            }
            TrainEvent::Progress {
                step,
                total,
                losses,
                steps_per_sec,
                eta,
                ..
            } => {
                self.training.progress = Some((step, total, steps_per_sec, eta));
                self.training.losses.push((step, losses));
            }
            TrainEvent::Samples { images, .. } => {
                self.training.samples = images
                    .iter()
                    .enumerate()
                    .map(|(i, (s, g, t))| {
                        let row = side_by_side(&side_by_side(s, g), t);
                        super::texture::upload(ctx, &format!("sample{i}"), &row)
                    })
                    .collect();
            }
            TrainEvent::Checkpoint {
                path,
                step,
                painter,
            } => {
                // The live canvas paints with the newest weights, handed over in memory; the
                // checkpoint file holds the same ones (for Save model as…).
                self.training.latest = Some(path.clone());
                self.training.message = Some(format!("step {step}: checkpoint saved"));
                self.worker.swap_painter(*painter, Some(path));
            }
            TrainEvent::Diverged { step, restored } => {
                self.training.message = Some(format!(
                    "a loss became NaN/infinite at step {step}: restored the checkpoint of step \
                     {restored} and stopped. Try a lower learning rate."
                ))
            }
            TrainEvent::Paused(p) => self.training.running = Some(p),
            TrainEvent::Finished { step, path } => {
                let total = self.training.progress.map_or(step, |p| p.1);
                self.training.message = Some(if step < total {
                    format!(
                        "stopped at step {step} of {total}; model saved: {}",
                        path.display()
                    )
                } else {
                    format!("finished after {step} steps: {}", path.display())
                });
                self.training.latest = Some(path.clone());
                self.worker.load_model(path);
            }
        }
    }
}

/// Two images side by side (for dataset and sample previews).
pub(super) fn side_by_side(a: &image::RgbImage, b: &image::RgbImage) -> image::RgbImage {
    crate::tiles::row(&[a, b])
}

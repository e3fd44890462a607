//! The training panel: pick a dataset, set the schedule, start / pause / stop, watch progress,
//! losses and held-out previews; the live canvas switches to each new checkpoint.

use super::command::{Command, TrainCommand};
use crate::dataset::Layout;
use crate::train::{Losses, TrainConfig, limits};
use egui::Ui;
use std::path::PathBuf;
use std::time::Duration;

mod status;

pub use status::{DataSummary, PanelEvent, Progress, RunState, RunStatus};

/// What the user sets before a run.
pub struct TrainForm {
    /// The dataset folder.
    pub data_dir: Option<PathBuf>,
    /// Its layout.
    pub layout: Layout,
    /// Train B → A.
    pub btoa: bool,
    /// Foreground masks for the photos layout (background lines are dropped).
    pub masks_dir: Option<PathBuf>,
    /// Whether the length is given in epochs (else in steps).
    pub by_epochs: bool,
    /// Passes over the data when `by_epochs`.
    pub epochs: u64,
    /// Schedule and hyper-parameters.
    pub config: TrainConfig,
    /// Fine-tune the model in use (else train a new one).
    pub fine_tune: bool,
}

impl Default for TrainForm {
    fn default() -> Self {
        Self {
            data_dir: None,
            layout: Layout::Auto,
            btoa: false,
            masks_dir: None,
            by_epochs: false,
            epochs: 5,
            config: TrainConfig {
                steps: 2000,
                checkpoint_every: 100,
                sample_every: 100,
                ..TrainConfig::default()
            },
            fine_tune: true,
        }
    }
}

/// The Training panel: its form, and the status of the dataset and the run. Only the panel
/// writes them: the form through its widgets and the setters below, the status through
/// [`TrainingPanel::on_event`].
#[derive(Default)]
pub struct TrainingPanel {
    open: bool,
    form: TrainForm,
    status: RunStatus,
}

impl TrainingPanel {
    /// Whether the panel is shown.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Show or hide the panel.
    pub fn toggle(&mut self) {
        self.open = !self.open;
    }

    /// What the user set.
    pub fn form(&self) -> &TrainForm {
        &self.form
    }

    /// The form, for a script or test that fills it in as a user would.
    pub fn form_mut(&mut self) -> &mut TrainForm {
        &mut self.form
    }

    /// What is shown of the dataset and the run.
    pub fn status(&self) -> &RunStatus {
        &self.status
    }

    /// Fold one event into what is shown.
    pub fn on_event(&mut self, ctx: &egui::Context, event: PanelEvent<'_>) {
        self.status.on_event(ctx, event);
    }

    /// Use `dir` as the dataset folder.
    pub fn set_data_dir(&mut self, dir: PathBuf) {
        self.form.data_dir = Some(dir);
    }

    /// Use `dir` as the masks folder (none: no masks).
    pub fn set_masks_dir(&mut self, dir: Option<PathBuf>) {
        self.form.masks_dir = dir;
    }

    /// Read the data the way the model in use runs (B → A or A → B).
    pub fn follow_direction(&mut self, d: crate::weights::Direction) {
        self.form.btoa = d == crate::weights::Direction::BtoA;
    }

    /// Draw the panel and return what the user asked for.
    pub fn show(&mut self, ui: &mut Ui) -> Vec<Command> {
        let mut out = Vec::new();
        let idle = self.status.state == RunState::Idle;
        let (form, status) = (&mut self.form, &self.status);
        ui.heading("Training");
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new("Dataset folder…"))
                .clicked()
            {
                out.push(Command::Train(TrainCommand::PickData));
            }
            match &form.data_dir {
                Some(d) => ui.label(d.display().to_string()),
                None => ui.label("(none)"),
            };
        });
        ui.add_enabled_ui(idle, |ui| {
            ui.horizontal(|ui| {
                ui.label("layout");
                for (l, name) in [
                    (Layout::Auto, "auto"),
                    (Layout::Aligned, "A|B"),
                    (Layout::Folders, "A/ B/"),
                    (Layout::Photos, "photos"),
                ] {
                    if ui.selectable_label(form.layout == l, name).clicked() && form.layout != l {
                        form.layout = l;
                        out.push(Command::Train(TrainCommand::ReloadData));
                    }
                }
                if ui.checkbox(&mut form.btoa, "B to A").changed() {
                    out.push(Command::Train(TrainCommand::ReloadData));
                }
            });
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new("Masks folder…"))
                .on_hover_text(
                    "Photos layout: foreground masks named like the photos; \
                     lines outside the mask are dropped",
                )
                .clicked()
            {
                out.push(Command::Train(TrainCommand::PickMasks));
            }
            match &form.masks_dir {
                Some(d) => {
                    ui.label(d.display().to_string());
                    if ui
                        .add_enabled(idle, egui::Button::new("No masks"))
                        .clicked()
                    {
                        out.push(Command::Train(TrainCommand::SetMasks(None)));
                    }
                }
                None => {
                    ui.label("(no masks)");
                }
            }
        });
        if let Some(summary) = &status.summary {
            ui.label(format!(
                "{} pairs ({} files skipped)",
                summary.pairs, summary.skipped
            ));
            ui.horizontal(|ui| {
                for t in &summary.previews {
                    ui.image((t.id(), egui::vec2(96.0, 48.0)));
                }
            });
        }
        ui.separator();
        ui.add_enabled_ui(idle, |ui| {
            egui::Grid::new("train-settings")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("length");
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut form.by_epochs, false, "steps");
                        ui.selectable_value(&mut form.by_epochs, true, "epochs");
                        if form.by_epochs {
                            ui.add(egui::DragValue::new(&mut form.epochs).range(limits::STEPS));
                        } else {
                            ui.add(
                                egui::DragValue::new(&mut form.config.steps).range(limits::STEPS),
                            );
                        }
                    });
                    ui.end_row();
                    ui.label("learning rate");
                    ui.add(
                        egui::DragValue::new(&mut form.config.optimizer.lr)
                            .speed(1e-5)
                            .range(limits::LEARNING_RATE),
                    );
                    ui.end_row();
                    ui.label("λ (L1)");
                    ui.add(
                        egui::DragValue::new(&mut form.config.lambda_l1).range(limits::LAMBDA_L1),
                    );
                    ui.end_row();
                    ui.label("batch size");
                    ui.add(
                        egui::DragValue::new(&mut form.config.batch_size).range(limits::BATCH_SIZE),
                    );
                    ui.end_row();
                    ui.label("checkpoint every");
                    ui.add(
                        egui::DragValue::new(&mut form.config.checkpoint_every)
                            .range(limits::CHECKPOINT_EVERY),
                    );
                    ui.end_row();
                    ui.label("colour hints");
                    ui.horizontal(|ui| {
                        let mut on = form.config.hints.is_some();
                        if ui
                            .checkbox(&mut on, "train with hints")
                            .on_hover_text(
                                "Simulated dabs of the photo's colours, so the model follows the \
                                 Colour tool; a model without hint inputs gains them and paints \
                                 as before until it learns",
                            )
                            .changed()
                        {
                            form.config.hints = on.then(crate::hints::HintConfig::default);
                        }
                        if let Some(h) = &mut form.config.hints {
                            ui.label("share without hints");
                            let mut free = h.hint_free_share();
                            if ui
                                .add(
                                    egui::DragValue::new(&mut free)
                                        .speed(0.005)
                                        .range(limits::HINT_FREE_SHARE),
                                )
                                .changed()
                            {
                                // The panel has one knob: the count's rate follows the share,
                                // unless the run set them apart (then only the share moves).
                                match h.free_share {
                                    Some(_) => h.free_share = Some(free),
                                    None => h.rate = free,
                                }
                            }
                        }
                    });
                    ui.end_row();
                });
            ui.horizontal(|ui| {
                ui.checkbox(&mut form.config.augment.jitter, "jitter");
                ui.checkbox(&mut form.config.augment.flip, "flip");
                ui.checkbox(&mut form.config.augment.sketch, "sketch augmentation");
            });
            ui.checkbox(
                &mut form.fine_tune,
                "fine-tune the current model (else start fresh)",
            );
        });
        ui.horizontal(|ui| match status.state {
            RunState::Idle => {
                if ui
                    .add_enabled(status.summary.is_some(), egui::Button::new("Start"))
                    .clicked()
                {
                    out.push(Command::Train(TrainCommand::Start));
                }
                if status.previous_run.is_some()
                    && status.summary.is_some()
                    && ui
                        .button("Continue the previous run")
                        .on_hover_text(
                            "Resume the unfinished run on this dataset exactly where it stopped",
                        )
                        .clicked()
                {
                    out.push(Command::Train(TrainCommand::Continue));
                }
            }
            state => {
                if state == RunState::Paused {
                    if ui.button("Resume").clicked() {
                        out.push(Command::Train(TrainCommand::Resume));
                    }
                } else if ui.button("Pause").clicked() {
                    out.push(Command::Train(TrainCommand::Pause));
                }
                if ui.button("Stop").clicked() {
                    out.push(Command::Train(TrainCommand::Stop));
                }
            }
        });
        if let Some(p) = status.progress {
            let frac = p.step as f32 / p.total.max(1) as f32;
            ui.add(egui::ProgressBar::new(frac).text(format!(
                "{}/{}  {:.2} steps/s  ETA {}",
                p.step,
                p.total,
                p.steps_per_sec,
                format_eta(p.eta)
            )));
        }
        if let Some(m) = &status.message {
            ui.label(m);
        }
        if status.latest.is_some() && ui.button("Save model as…").clicked() {
            out.push(Command::Train(TrainCommand::SaveAs));
        }
        if !status.losses.is_empty() {
            let series = |f: fn(&Losses) -> f32| -> Vec<[f64; 2]> {
                status
                    .losses
                    .iter()
                    .map(|(s, l)| [*s as f64, f(l) as f64])
                    .collect()
            };
            egui_plot::Plot::new("losses")
                .height(140.0)
                .legend(egui_plot::Legend::default())
                .show(ui, |p| {
                    p.line(egui_plot::Line::new("D", series(|l| l.d)));
                    p.line(egui_plot::Line::new("G GAN", series(|l| l.g_gan)));
                    p.line(egui_plot::Line::new("G L1 ×10", series(|l| 10.0 * l.g_l1)));
                });
        }
        for t in &status.samples {
            ui.image((t.id(), egui::vec2(288.0, 96.0)));
        }
        out
    }
}

fn format_eta(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

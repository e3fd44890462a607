//! The training panel: pick a dataset, set the schedule, start / pause / stop, watch progress,
//! losses and held-out previews; the live canvas switches to each new checkpoint.

use super::command::{Command, TrainCommand};
use crate::dataset::Layout;
use crate::train::{Losses, TrainConfig, limits};
use egui::{TextureHandle, Ui};
use std::path::PathBuf;
use std::time::Duration;

/// What the panel shows and edits.
pub struct TrainingPanel {
    /// Whether the panel is shown.
    pub open: bool,
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
    /// The checkpoint of an earlier run on this dataset, which can be continued.
    pub previous_run: Option<PathBuf>,
    /// Schedule and hyper-parameters.
    pub config: TrainConfig,
    /// Fine-tune the model in use (else train a new one).
    pub fine_tune: bool,
    /// Pair count, skipped count and a few sample pairs of the opened dataset.
    pub summary: Option<(usize, usize, Vec<TextureHandle>)>,
    /// Whether a run is going, and whether it is paused.
    pub running: Option<bool>,
    /// Step, total, steps/s, ETA.
    pub progress: Option<(u64, u64, f64, Duration)>,
    /// Loss history.
    pub losses: Vec<(u64, Losses)>,
    /// Held-out previews (sketch | generated | target rows).
    pub samples: Vec<TextureHandle>,
    /// Last status line.
    pub message: Option<String>,
    /// The newest model written by the run.
    pub latest: Option<PathBuf>,
}

impl Default for TrainingPanel {
    fn default() -> Self {
        Self {
            open: false,
            data_dir: None,
            layout: Layout::Auto,
            btoa: false,
            masks_dir: None,
            by_epochs: false,
            epochs: 5,
            previous_run: None,
            config: TrainConfig {
                steps: 2000,
                checkpoint_every: 100,
                sample_every: 100,
                ..TrainConfig::default()
            },
            fine_tune: true,
            summary: None,
            running: None,
            progress: None,
            losses: Vec::new(),
            samples: Vec::new(),
            message: None,
            latest: None,
        }
    }
}

impl TrainingPanel {
    /// Draw the panel and return what the user asked for.
    pub fn show(&mut self, ui: &mut Ui) -> Vec<Command> {
        let mut out = Vec::new();
        let idle = self.running.is_none();
        ui.heading("Training");
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new("Dataset folder…"))
                .clicked()
            {
                out.push(Command::Train(TrainCommand::PickData));
            }
            match &self.data_dir {
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
                    if ui.selectable_label(self.layout == l, name).clicked() && self.layout != l {
                        self.layout = l;
                        out.push(Command::Train(TrainCommand::ReloadData));
                    }
                }
                if ui.checkbox(&mut self.btoa, "B to A").changed() {
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
            match &self.masks_dir {
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
        if let Some((n, skipped, previews)) = &self.summary {
            ui.label(format!("{n} pairs ({skipped} files skipped)"));
            ui.horizontal(|ui| {
                for t in previews {
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
                        ui.selectable_value(&mut self.by_epochs, false, "steps");
                        ui.selectable_value(&mut self.by_epochs, true, "epochs");
                        if self.by_epochs {
                            ui.add(egui::DragValue::new(&mut self.epochs).range(limits::STEPS));
                        } else {
                            ui.add(
                                egui::DragValue::new(&mut self.config.steps).range(limits::STEPS),
                            );
                        }
                    });
                    ui.end_row();
                    ui.label("learning rate");
                    ui.add(
                        egui::DragValue::new(&mut self.config.optimizer.lr)
                            .speed(1e-5)
                            .range(limits::LEARNING_RATE),
                    );
                    ui.end_row();
                    ui.label("λ (L1)");
                    ui.add(
                        egui::DragValue::new(&mut self.config.lambda_l1).range(limits::LAMBDA_L1),
                    );
                    ui.end_row();
                    ui.label("batch size");
                    ui.add(
                        egui::DragValue::new(&mut self.config.batch_size).range(limits::BATCH_SIZE),
                    );
                    ui.end_row();
                    ui.label("checkpoint every");
                    ui.add(
                        egui::DragValue::new(&mut self.config.checkpoint_every)
                            .range(limits::CHECKPOINT_EVERY),
                    );
                    ui.end_row();
                    ui.label("colour hints");
                    ui.horizontal(|ui| {
                        let mut on = self.config.hints.is_some();
                        if ui
                            .checkbox(&mut on, "train with hints")
                            .on_hover_text(
                                "Simulated dabs of the photo's colours, so the model follows the \
                                 Colour tool; a model without hint inputs gains them and paints \
                                 as before until it learns",
                            )
                            .changed()
                        {
                            self.config.hints = on.then(crate::hints::HintConfig::default);
                        }
                        if let Some(h) = &mut self.config.hints {
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
                ui.checkbox(&mut self.config.augment.jitter, "jitter");
                ui.checkbox(&mut self.config.augment.flip, "flip");
                ui.checkbox(&mut self.config.augment.sketch, "sketch augmentation");
            });
            ui.checkbox(
                &mut self.fine_tune,
                "fine-tune the current model (else start fresh)",
            );
        });
        ui.horizontal(|ui| match self.running {
            None => {
                if ui
                    .add_enabled(self.summary.is_some(), egui::Button::new("Start"))
                    .clicked()
                {
                    out.push(Command::Train(TrainCommand::Start));
                }
                if self.previous_run.is_some()
                    && self.summary.is_some()
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
            Some(paused) => {
                if paused {
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
        if let Some((step, total, sps, eta)) = self.progress {
            let frac = step as f32 / total.max(1) as f32;
            ui.add(egui::ProgressBar::new(frac).text(format!(
                "{step}/{total}  {sps:.2} steps/s  ETA {}",
                format_eta(eta)
            )));
        }
        if let Some(m) = &self.message {
            ui.label(m);
        }
        if self.latest.is_some() && ui.button("Save model as…").clicked() {
            out.push(Command::Train(TrainCommand::SaveAs));
        }
        if !self.losses.is_empty() {
            let series = |f: fn(&Losses) -> f32| -> Vec<[f64; 2]> {
                self.losses
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
        for t in &self.samples {
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

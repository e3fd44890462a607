//! The windows and bars around the two panels: model info, status bar, latency overlay,
//! errors and the quit guard.

use super::*;

impl PaintApp {
    pub(super) fn model_info_window(
        &self,
        ctx: &egui::Context,
        open: &mut bool,
        out: &mut Vec<Command>,
    ) {
        use crate::weights::Direction;
        egui::Window::new("Model")
            .open(open)
            .resizable(false)
            .show(ctx, |ui| {
                let Some(m) = &self.model else {
                    ui.label("No model is loaded.");
                    return;
                };
                egui::Grid::new("model-info").num_columns(2).show(ui, |ui| {
                    ui.label("name");
                    ui.label(&m.name);
                    ui.end_row();
                    ui.label("about");
                    ui.label(if m.description.is_empty() {
                        "(the file says nothing about itself)"
                    } else {
                        &m.description
                    });
                    ui.end_row();
                    ui.label("file");
                    ui.label(
                        self.model_path
                            .as_ref()
                            .map_or("(built in)".into(), |p| p.display().to_string()),
                    );
                    ui.end_row();
                    ui.label("input");
                    ui.horizontal(|ui| {
                        for (d, text) in [
                            (Direction::AtoB, "A (A to B)"),
                            (Direction::BtoA, "B (B to A)"),
                        ] {
                            if ui.selectable_label(m.direction == d, text).clicked()
                                && m.direction != d
                            {
                                out.push(Command::File(FileCommand::SetModelDirection(d)));
                            }
                        }
                    });
                    ui.end_row();
                    ui.label("resolution");
                    ui.label(format!("{0}x{0}", m.resolution));
                    ui.end_row();
                    ui.label("trained");
                    ui.label(format!("{} steps", m.steps));
                    ui.end_row();
                    ui.label("batch norm");
                    ui.label(match m.inference_stats {
                        crate::model::NormStats::Running => "running averages",
                        _ => "each image's own statistics",
                    });
                    ui.end_row();
                });
                if ui
                    .add_enabled(
                        self.model_path.is_some(),
                        egui::Button::new("Save as pix2paint model…"),
                    )
                    .on_hover_text("Keeps the input side set here, e.g. for a .pth or .pict")
                    .clicked()
                {
                    out.push(Command::File(FileCommand::SaveModelAsDialog));
                }
            });
    }

    pub(super) fn status_bar(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(&self.compute.description);
            ui.separator();
            let label = match &self.model {
                Some(m) => format!("model: {}", m.name),
                None => "no model".into(),
            };
            if ui
                .selectable_label(self.windows.model_window, label)
                .on_hover_text("What the model says about itself")
                .clicked()
            {
                commands.push(Command::ToggleModelInfo);
            }
            if let Some(t) = self.requests.latency.last_inference {
                ui.separator();
                ui.label(format!("inference {:.0} ms", t.as_secs_f64() * 1e3));
            }
            if let Some(v) = self.variation {
                ui.separator();
                ui.label(format!("variation, seed {v}"));
            }
            if let Some(why) = &self.compute.fallback_reason {
                ui.separator();
                ui.label("CPU fallback").on_hover_text(why);
            }
            if let Some(n) = &self.windows.notice {
                ui.separator();
                ui.label(n);
            }
        });
    }

    pub(super) fn latency_overlay(&self, ctx: &egui::Context) {
        egui::Window::new("Latency (F3)")
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -32.0))
            .resizable(false)
            .show(ctx, |ui| {
                let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
                ui.label(format!(
                    "pointer to result, median of {}: {}",
                    self.requests.latency.samples.len(),
                    self.requests.latency.median().map_or("–".into(), ms)
                ));
                if let Some(last) = self.requests.latency.samples.last() {
                    ui.label(format!("last: {}", ms(*last)));
                }
            });
    }

    pub(super) fn error_window(&mut self, ctx: &egui::Context) {
        let Some(msg) = self.windows.error.clone() else {
            return;
        };
        let mut open = true;
        egui::Window::new("Problem")
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(&msg);
                if ui.button("OK").clicked() {
                    self.windows.error = None;
                }
            });
        if !open {
            self.windows.error = None;
        }
    }

    /// Ask before quitting with unsaved changes (the autosave keeps them either way).
    pub(super) fn quit_guard(&mut self, ctx: &egui::Context) {
        let close = ctx.input(|i| i.viewport().close_requested());
        if close && !self.windows.allowed_to_close && self.has_unsaved_changes() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.windows.confirm_quit = true;
        }
        if !self.windows.confirm_quit {
            return;
        }
        egui::Window::new("Unsaved sketch")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label("The sketch has changes you have not saved. (It is autosaved and comes back next time.)");
                ui.horizontal(|ui| {
                    if ui.button("Save…").clicked() {
                        self.windows.confirm_quit = false;
                        self.apply(ctx, Command::File(FileCommand::SaveSketchDialog));
                    }
                    if ui.button("Quit").clicked() {
                        self.windows.allowed_to_close = true;
                        self.windows.confirm_quit = false;
                        if let Some(a) = &self.autosave {
                            let _ = a.save(&self.canvas);
                        }
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    if ui.button("Cancel").clicked() {
                        self.windows.confirm_quit = false;
                    }
                });
            });
    }
}

/// What the result panel says when no model could be found.
pub(super) fn no_model_text() -> String {
    format!(
        "No model found.\n\nFile > Open model… (or drop a .safetensors, .pth or .pict file here) to \
         paint with one. pix2paint looks for its cat model ({}) in $PIX2PAINT_WEIGHTS, in weights/ \
         beside the program, then in {}.",
        crate::weights::DEFAULT_MODEL_FILE,
        crate::weights::default_model_dir().display()
    )
}

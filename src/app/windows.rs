//! The windows and bars around the two panels: the problem window (the one place problems
//! are shown), the status bar with its notices, model info, the latency overlay and the quit
//! guard.

use super::command::{Command, FileCommand};
use super::live::Live;
use std::time::Duration;

/// What the windows and bars around the panels show.
#[derive(Default)]
pub struct Windows {
    /// The problem shown until dismissed.
    problem: Option<String>,
    /// The last finished file job, for the status bar.
    notice: Option<String>,
    /// The quit confirmation (unsaved sketch) is open.
    confirm_quit: bool,
    /// The user confirmed quitting.
    allowed_to_close: bool,
    /// The latency overlay is shown.
    overlay: bool,
    /// The model info window is open.
    model_window: bool,
}

impl Windows {
    /// The problem on screen, if any.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Show a problem: the one way the app tells the user something went wrong.
    pub fn report(&mut self, text: String) {
        self.problem = Some(text);
    }

    /// Say in the status bar that a job finished.
    pub fn notice(&mut self, text: String) {
        self.notice = Some(text);
    }

    /// Whether the latency overlay is shown.
    pub fn overlay(&self) -> bool {
        self.overlay
    }

    /// Show or hide the latency overlay.
    pub fn toggle_overlay(&mut self) {
        self.overlay = !self.overlay;
    }

    /// Show or hide the model info window.
    pub fn toggle_model_window(&mut self) {
        self.model_window = !self.model_window;
    }

    /// Whether the window may close without asking.
    pub fn closing(&self) -> bool {
        self.allowed_to_close
    }

    /// The user chose to quit: the next close request goes through.
    pub fn allow_close(&mut self) {
        self.allowed_to_close = true;
        self.confirm_quit = false;
    }

    /// Draw the windows over the panels; what the user asked for in them.
    pub fn show(&mut self, ctx: &egui::Context, live: &Live, unsaved: bool) -> Vec<Command> {
        let mut out = Vec::new();
        self.problem_window(ctx);
        self.quit_guard(ctx, unsaved, &mut out);
        if self.overlay {
            latency_overlay(ctx, &live.requests.latency);
        }
        if self.model_window {
            let mut open = true;
            model_info_window(ctx, live, &mut open, &mut out);
            self.model_window &= open;
        }
        out
    }

    /// The status bar: device, model, timing, variation, notices.
    pub fn status_bar(&self, ui: &mut egui::Ui, live: &Live) -> Vec<Command> {
        let mut commands = Vec::new();
        let compute = live.compute();
        ui.horizontal(|ui| {
            ui.label(&compute.description);
            ui.separator();
            let label = match live.model() {
                Some(m) => format!("model: {}", m.name),
                None => "no model".into(),
            };
            if ui
                .selectable_label(self.model_window, label)
                .on_hover_text("What the model says about itself")
                .clicked()
            {
                commands.push(Command::ToggleModelInfo);
            }
            if let Some(t) = live.requests.latency.last_inference {
                ui.separator();
                ui.label(format!("inference {:.0} ms", t.as_secs_f64() * 1e3));
            }
            if let Some(v) = live.variation() {
                ui.separator();
                ui.label(format!("variation, seed {v}"));
            }
            if let Some(why) = &compute.fallback_reason {
                ui.separator();
                ui.label("CPU fallback").on_hover_text(why.to_string());
            }
            if let Some(n) = &self.notice {
                ui.separator();
                ui.label(n);
            }
        });
        commands
    }

    fn problem_window(&mut self, ctx: &egui::Context) {
        let Some(msg) = self.problem.clone() else {
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
                    self.problem = None;
                }
            });
        if !open {
            self.problem = None;
        }
    }

    /// Ask before quitting with unsaved changes (the autosave keeps them either way).
    fn quit_guard(&mut self, ctx: &egui::Context, unsaved: bool, out: &mut Vec<Command>) {
        let close = ctx.input(|i| i.viewport().close_requested());
        if close && !self.allowed_to_close && unsaved {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm_quit = true;
        }
        if !self.confirm_quit {
            return;
        }
        egui::Window::new("Unsaved sketch")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(
                    "The sketch has changes you have not saved. (It is autosaved and comes back \
                     next time.)",
                );
                ui.horizontal(|ui| {
                    if ui.button("Save…").clicked() {
                        self.confirm_quit = false;
                        out.push(Command::File(FileCommand::SaveSketchDialog));
                    }
                    if ui.button("Quit").clicked() {
                        out.push(Command::Quit);
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_quit = false;
                    }
                });
            });
    }
}

fn model_info_window(ctx: &egui::Context, live: &Live, open: &mut bool, out: &mut Vec<Command>) {
    use crate::weights::Direction;
    egui::Window::new("Model")
        .open(open)
        .resizable(false)
        .show(ctx, |ui| {
            let Some(m) = live.model() else {
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
                    live.model_path()
                        .map_or("(built in)".into(), |p| p.display().to_string()),
                );
                ui.end_row();
                ui.label("input");
                ui.horizontal(|ui| {
                    for (d, text) in [
                        (Direction::AtoB, "A (A to B)"),
                        (Direction::BtoA, "B (B to A)"),
                    ] {
                        if ui.selectable_label(m.direction == d, text).clicked() && m.direction != d
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
                ui.label("precision");
                ui.horizontal(|ui| {
                    let precise = live.precision() == "fp32";
                    let fast = ui
                        .add_enabled(
                            live.reduced_available(),
                            egui::Button::selectable(!precise, "8-bit (fast)"),
                        )
                        .on_hover_text(
                            "8-bit weights: about twice as fast, within 35 dB PSNR of fp32",
                        )
                        .on_disabled_hover_text(
                            "only on the CPU, where its vector unit multiplies 16-bit integers \
                             faster than floats (most Intel CPUs since 2015; not AMD's first Zen)",
                        );
                    if fast.clicked() && precise {
                        out.push(Command::SetPrecise(false));
                    }
                    if ui.selectable_label(precise, "fp32").clicked() && !precise {
                        out.push(Command::SetPrecise(true));
                    }
                });
                ui.end_row();
            });
            if ui
                .add_enabled(
                    live.model_path().is_some(),
                    egui::Button::new("Save as pix2paint model…"),
                )
                .on_hover_text("Keeps the input side set here, e.g. for a .pth or .pict")
                .clicked()
            {
                out.push(Command::File(FileCommand::SaveModelAsDialog));
            }
        });
}

fn latency_overlay(ctx: &egui::Context, latency: &super::requests::LatencyStats) {
    egui::Window::new("Latency (F3)")
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -32.0))
        .resizable(false)
        .show(ctx, |ui| {
            let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
            ui.label(format!(
                "pointer to result, median of the last {}: {}",
                latency.recent_len(),
                latency.median().map_or("–".into(), ms)
            ));
            if let Some(last) = latency.last() {
                ui.label(format!("last: {}", ms(last)));
            }
        });
}

//! The painting app: the sketch canvas on the left, the live result on the right.
//!
//! [`PaintApp`] is composed of parts that each own their state: the [`Document`] (the sketch,
//! the tool in hand, how far it is saved), [`Live`] (the model on its worker thread, requests,
//! the result and its GPU display), the [`TrainingPanel`] (its form and the status of the run),
//! the trainer (`trainer.rs`: the dataset and the training thread) and the windows around the
//! panels (`windows.rs`, also the one place problems are shown). Panels and windows draw state
//! and return [`Command`]s; [`PaintApp::apply`] hands each to the part that owns what it
//! changes, parts answer with effects, and `effects.rs` performs every effect (dialogs, the
//! user's files, the clipboard, background work), whose outcomes come back to the parts.

pub mod canvas_view;
pub mod command;
pub mod result_view;
pub mod settings;
pub mod texture;
pub mod toolbar;
pub mod training;

mod dialogs;
mod document;
mod effects;
mod eframe_app;
mod files;
mod gpu_display;
mod layout;
mod live;
mod pacing;
mod requests;
mod shortcuts;
mod trainer;
mod windows;

pub use command::{Command, FileCommand, TrainCommand};
pub use document::Document;
pub use live::{BLANK_CANVAS_HINT, Live};
pub use requests::{LatencyStats, Requests};
pub use settings::{Autosave, Settings, Unclaimed};

use crate::canvas::{Canvas, Tool};
use crate::device::Compute;
use document::AutosaveDue;
use effects::{Effect, Effects, Outcome};
use std::path::PathBuf;
use trainer::Trainer;
use training::{PanelEvent, TrainingPanel};
use windows::Windows;

/// The painting app.
pub struct PaintApp {
    /// The sketch, the tool in hand and how far both are saved.
    pub document: Document,
    /// Persisted preferences.
    pub settings: Settings,
    /// The model and its live results.
    pub live: Live,
    /// The Training panel.
    pub training: TrainingPanel,
    trainer: Trainer,
    windows: Windows,
    effects: Effects,
    canvas_view: canvas_view::CanvasView,
    pacer: pacing::FramePacer,
    /// The toolbar's variation seed field.
    seed: u64,
    /// Where the settings are saved on exit.
    settings_path: Option<PathBuf>,
}

impl PaintApp {
    /// Build the app around a worker on `compute`'s device. `model_path` is loaded on the
    /// worker's thread; with none, the result panel explains how to get a model. The sketch is
    /// restored from `autosave`.
    pub fn new(
        ctx: &egui::Context,
        compute: Compute,
        model_path: Option<PathBuf>,
        settings: Settings,
        autosave: Option<Autosave>,
    ) -> Self {
        let (document, restore_problem) = Document::restore(autosave);
        let mut windows = Windows::default();
        if let Some(p) = restore_problem {
            windows.report(p.to_string());
        }
        if std::env::var_os("PIX2PAINT_LATENCY").is_some() {
            windows.toggle_overlay();
        }
        let live = Live::start(ctx, compute, model_path);
        live.set_precise(settings.precise);
        Self {
            trainer: Trainer::new(document.autosave()),
            document,
            settings,
            live,
            training: TrainingPanel::default(),
            windows,
            effects: Effects::default(),
            canvas_view: Default::default(),
            pacer: Default::default(),
            seed: 1,
            settings_path: None,
        }
    }

    /// Paint at fp32 until the window closes (`--precise`), whatever the settings say; the
    /// Model window can still switch.
    pub fn paint_precisely_this_run(&mut self) {
        self.live.set_precise(true);
    }

    /// The window is drawn by the CPU (a software renderer): while the model paints, frames
    /// come at most every [`pacing::SOFTWARE_INTERVAL`], so the model keeps the cores.
    pub fn window_drawn_by_cpu(&mut self) {
        self.pacer = pacing::FramePacer::new(Some(pacing::SOFTWARE_INTERVAL));
    }

    /// Save the settings into `path` on exit.
    pub fn keep_settings_in(&mut self, path: PathBuf) {
        self.settings_path = Some(path);
    }

    /// Show a problem found outside the app (e.g. at start).
    pub fn report_problem(&mut self, text: String) {
        self.windows.report(text);
    }

    /// The sketch.
    pub fn canvas(&self) -> &Canvas {
        self.document.canvas()
    }

    /// The current tool.
    pub fn tool(&self) -> Tool {
        self.document.tool()
    }

    /// The model in use, if one is loaded.
    pub fn model(&self) -> Option<&crate::weights::ModelInfo> {
        self.live.model()
    }

    /// The last result shown, if it is on the CPU.
    pub fn result(&self) -> Option<&image::RgbImage> {
        self.live.result()
    }

    /// Whether a painting is on its way.
    pub fn is_busy(&self) -> bool {
        self.live.requests.busy()
    }

    /// Requests sent to the worker so far.
    pub fn requests_sent(&self) -> u64 {
        self.live.requests.sent()
    }

    /// Paintings shown so far.
    pub fn paintings_shown(&self) -> u64 {
        self.live.requests.latency.shown
    }

    /// The problem on screen, or why there is no model, if either.
    pub fn problem(&self) -> Option<&str> {
        self.windows.problem().or(if self.live.model().is_none() {
            self.live.waiting()
        } else {
            None
        })
    }

    /// Whether the sketch changed since it was last saved by the user.
    pub fn has_unsaved_changes(&self) -> bool {
        self.document.has_unsaved_changes()
    }

    /// Write the autosave now (on exit).
    pub fn flush_autosave(&mut self) -> std::io::Result<()> {
        self.document.write_autosave()
    }

    /// Show results through the GPU display path (see [`Live::use_gpu_display`]).
    pub fn use_gpu_display(&mut self, render_state: eframe::egui_wgpu::RenderState) {
        self.live.use_gpu_display(render_state);
    }

    fn width(&self) -> f32 {
        self.settings.width(self.document.tool())
    }

    /// Draw the whole UI for one frame and run the live loop.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let problem_before = self.windows.problem().map(str::to_owned);
        for o in self.live.drain(&ctx) {
            self.fold(&ctx, o);
        }
        self.trainer
            .drain(&ctx, &mut self.training, &self.live, &mut self.windows);
        for o in self.effects.finished() {
            self.fold(&ctx, o);
        }
        let mut commands = shortcuts::input_commands(&ctx, self.width());
        if crate::signals::received().is_some() && !self.windows.closing() {
            // SIGTERM or Ctrl+C in the terminal: autosave and close, without asking.
            commands.push(Command::Quit);
        }
        commands.extend(self.panels(ui));
        self.apply_all(&ctx, commands);
        // The windows over the panels show what this frame's commands did (a window opened by
        // a click appears at once).
        let unsaved = self.document.has_unsaved_changes();
        let commands = self.windows.show(&ctx, &self.live, unsaved);
        self.apply_all(&ctx, commands);
        self.live.log_latency = self.windows.overlay();
        self.live
            .send(self.document.canvas(), self.document.last_edit());
        self.autosave(&ctx);
        if self.windows.problem() != problem_before.as_deref() {
            // A problem that came up this frame is drawn in the next.
            ctx.request_repaint();
        }
    }

    /// Carry out one command: the part that owns what it changes does so, and the effects it
    /// asks for are performed.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        for effect in self.dispatch(ctx, command) {
            if let Some(outcome) = self.effects.perform(ctx, &self.settings, effect) {
                self.fold(ctx, outcome);
            }
        }
    }

    fn apply_all(&mut self, ctx: &egui::Context, commands: Vec<Command>) {
        for c in commands {
            self.apply(ctx, c);
        }
    }

    fn dispatch(&mut self, ctx: &egui::Context, command: Command) -> Vec<Effect> {
        let width = self.width() / self.live.resolution() as f32;
        match command {
            Command::BeginStroke(p) => {
                self.document
                    .begin_stroke(width, self.settings.hint_colour, p)
            }
            Command::ExtendStroke(p) => self.document.extend_stroke(p),
            Command::EndStroke => self.document.end_stroke(),
            Command::Undo => self.document.edit(|c| c.undo()),
            Command::Redo => self.document.edit(|c| c.redo()),
            Command::Clear => self.document.edit(|c| c.clear()),
            Command::ClearHints => self.document.edit(|c| c.clear_hints()),
            Command::SetTool(t) => self.document.set_tool(t),
            Command::SetHintColour(rgb) => self.settings.hint_colour = rgb,
            Command::PickColour(p) => {
                if let Some(rgb) = self.live.colour_at(p) {
                    self.settings.hint_colour = rgb;
                    self.document.set_tool(Tool::Colour);
                }
            }
            Command::SetWidth(w) => self.settings.set_width(self.document.tool(), w),
            Command::Variation(seed) => {
                self.live.show_variation(seed);
                self.seed = seed.wrapping_add(1);
            }
            Command::PlainResult => self.live.show_plain(),
            Command::ToggleOverlay => self.windows.toggle_overlay(),
            Command::SetPrecise(on) => {
                self.settings.precise = on;
                self.live.set_precise(on);
            }
            Command::ToggleModelInfo => self.windows.toggle_model_window(),
            Command::Quit => {
                self.windows.allow_close();
                match self.document.write_autosave() {
                    Ok(()) => return vec![Effect::Close],
                    // Closing again quits without it.
                    Err(e) => self.windows.report(format!(
                        "The sketch could not be autosaved ({e}). Save it with File > Save \
                         sketch…, or close the window again to quit without it."
                    )),
                }
            }
            Command::File(c) => {
                return files::effects(
                    c,
                    &mut self.document,
                    &mut self.settings,
                    &mut self.live,
                    &mut self.training,
                    &mut self.windows,
                );
            }
            Command::Train(c) => {
                return self.trainer.command(
                    ctx,
                    c,
                    &mut self.training,
                    &self.live,
                    &mut self.windows,
                );
            }
        }
        Vec::new()
    }

    /// Fold what came of an effect into the parts.
    fn fold(&mut self, ctx: &egui::Context, outcome: Outcome) {
        match outcome {
            Outcome::Command(c) => self.apply(ctx, c),
            Outcome::Problem(text) => self.windows.report(text),
            Outcome::SketchRead {
                lines,
                hints,
                hints_problem,
            } => {
                self.document.edit(|c| c.set_background(lines));
                if let Some(layer) = hints {
                    self.document.edit(|c| c.set_hint_background(layer));
                }
                if let Some(e) = hints_problem {
                    self.windows
                        .report(format!("the sketch opened, its hints did not: {e}"));
                }
            }
            Outcome::PhotoRead(lines) => self.document.edit(|c| c.set_background(lines)),
            Outcome::SketchSaved => self.document.mark_saved(),
            Outcome::ModelCopied {
                message,
                for_training,
            } => {
                if for_training {
                    self.training.on_event(ctx, PanelEvent::Said(message));
                } else {
                    self.windows.notice(message);
                }
            }
            Outcome::Dataset(d, previews) => {
                self.trainer
                    .dataset_opened(ctx, *d, previews, &mut self.training)
            }
            Outcome::Training(thread) => self.trainer.started(ctx, *thread, &mut self.training),
            Outcome::DatasetFailed(text) => {
                self.training.on_event(ctx, PanelEvent::DatasetFailed);
                self.windows.report(text);
            }
            Outcome::ModelUnreadable(path) => {
                if self.settings.model_path.as_deref() == Some(path.as_path()) {
                    self.settings.model_path = None;
                }
            }
        }
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        match self.document.autosave_due() {
            AutosaveDue::No => {}
            // Come back when it is due: an idle app repaints for nothing else, and a crash in
            // the meantime would lose the edit.
            AutosaveDue::After(wait) => ctx.request_repaint_after(wait),
            AutosaveDue::Now => {
                if let Err(e) = self.document.write_autosave() {
                    let dir = self.document.autosave().map(|a| a.dir().to_owned());
                    self.windows.report(format!(
                        "autosave to {} failed: {e}",
                        dir.unwrap_or_default().display()
                    ));
                }
            }
        }
    }
}

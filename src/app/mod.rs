//! The painting app: the sketch canvas on the left, the live result on the right.
//!
//! State lives in [`PaintApp`]; panels ([`canvas_view`], [`result_view`], [`toolbar`]) draw it and
//! return [`Command`]s, which [`PaintApp::apply`] carries out in one place. The model runs on the
//! [`InferenceWorker`] thread; the UI thread only rasterises the sketch and uploads textures.

pub mod canvas_view;
pub mod command;
pub mod result_view;
pub mod settings;
pub mod texture;
pub mod toolbar;
pub mod training;

mod actions;
mod dialogs;
mod file_actions;
mod gpu_display;
mod live;
mod shortcuts;
mod training_control;
mod windows;

pub use gpu_display::GpuDisplay;
use windows::no_model_text;

pub use command::{Command, FileCommand, TrainCommand};
pub use settings::{Autosave, Settings};

use crate::canvas::{Canvas, Tool};
use crate::dataset::Dataset;
use crate::device::Compute;
use crate::inference::{Event, InferenceWorker, Request};
use crate::tensor_image::{lines_from_rgb, read_image, to_sketch};
use crate::train::{Control, Job, Start, TrainEvent, TrainerMessage, TrainerThread};
use crate::weights::ModelInfo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Results of work done off the UI thread.
enum Background {
    /// A dataset was opened, with a few sample pairs.
    Dataset(Result<(Dataset, Vec<image::RgbImage>), String>),
    /// A status line (or error) for the training panel.
    Message(Result<String, String>),
    /// A file job of the main window finished: a status-bar notice, or an error window.
    Notice(Result<String, String>),
}

/// Minimum time between live requests while a stroke is being drawn.
const LIVE_INTERVAL: Duration = Duration::from_millis(100);
/// Extensions of the model files the app opens (pix2paint, PyTorch pix2pix, web demo).
const MODEL_EXTENSIONS: [&str; 4] = ["safetensors", "pth", "pt", "pict"];

/// Minimum time between autosaves.
const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(2);

/// Latency figures of the live loop, for the overlay and the log.
#[derive(Debug, Default, Clone)]
pub struct LatencyStats {
    /// Pointer event → result on screen, for each result shown.
    pub samples: Vec<Duration>,
    /// Model time of the last result.
    pub last_inference: Option<Duration>,
}

impl LatencyStats {
    /// Median of the samples.
    pub fn median(&self) -> Option<Duration> {
        let mut v = self.samples.clone();
        v.sort();
        v.get(v.len() / 2).copied()
    }
}

/// The live loop's bookkeeping of what was sent to the inference worker and what came back.
pub struct Requests {
    next_id: u64,
    /// The canvas revision and the variation seed of the last request.
    sent_revision: Option<(u64, Option<u64>)>,
    last_send: Option<Instant>,
    last_edit: Instant,
    /// Requests not yet answered, with the time of the edit that made each.
    in_flight: BTreeMap<u64, Instant>,
    last_result_id: u64,
    /// Live-loop latency figures.
    pub latency: LatencyStats,
}

impl Requests {
    fn new() -> Self {
        Self {
            next_id: 1,
            sent_revision: None,
            last_send: None,
            last_edit: Instant::now(),
            in_flight: BTreeMap::new(),
            last_result_id: 0,
            latency: LatencyStats::default(),
        }
    }
}

/// What the windows and bars around the two panels show (drawn by `windows.rs`).
#[derive(Default)]
struct Windows {
    /// An error to show in its window until dismissed.
    error: Option<String>,
    /// The quit confirmation (unsaved sketch) is open.
    confirm_quit: bool,
    /// The user confirmed quitting.
    allowed_to_close: bool,
    /// The latency overlay is shown.
    overlay: bool,
    /// The model info window is open.
    model_window: bool,
    /// The last finished file job, for the status bar.
    notice: Option<String>,
}

/// The painting app's state: the sketch, the model and its live results, the training panel,
/// settings and dialogs. Panels read it and return commands; `actions.rs` changes it.
pub struct PaintApp {
    /// The sketch.
    pub canvas: Canvas,
    tool: Tool,
    /// Persisted preferences.
    pub settings: Settings,
    resolution: u32,
    compute: Compute,
    worker: InferenceWorker,
    model: Option<ModelInfo>,
    model_problem: Option<String>,
    canvas_view: canvas_view::CanvasView,
    result_view: result_view::ResultView,
    result: Option<image::RgbImage>,
    /// The live loop's requests to the worker and their latency.
    pub requests: Requests,
    seed: u64,
    variation: Option<u64>,
    saved_revision: u64,
    autosave: Option<Autosave>,
    autosaved_revision: u64,
    last_autosave: Instant,
    /// What the windows around the panels show.
    windows: Windows,
    /// The training panel's state.
    pub training: training::TrainingPanel,
    trainer: Option<TrainerThread>,
    dataset: Option<Dataset>,
    background: Vec<Receiver<Background>>,
    model_path: Option<PathBuf>,
    /// Whether the model in use takes colour hints.
    model_takes_hints: bool,
    /// Results drawn on the GPU, when the model and the UI share one (see [`GpuDisplay`]).
    gpu_display: Option<GpuDisplay>,
    /// The last result while it lives on the GPU only (read back when saved or copied).
    gpu_result: Option<burn::tensor::Tensor<4>>,
}

impl PaintApp {
    /// Build the app around a worker. `model_path` is loaded on the worker's thread; with none,
    /// the result panel explains how to get a model.
    pub fn new(
        ctx: &egui::Context,
        compute: Compute,
        model_path: Option<PathBuf>,
        settings: Settings,
        autosave: Option<Autosave>,
    ) -> Self {
        let notify_ctx = ctx.clone();
        let worker = InferenceWorker::spawn(None, compute.device.clone(), move || {
            notify_ctx.request_repaint()
        });
        let model_problem = match &model_path {
            Some(p) => {
                worker.load_model(p.clone());
                Some(format!("Loading {}…", p.display()))
            }
            None => Some(no_model_text()),
        };
        let (canvas, restore_problem) = match &autosave {
            Some(a) => a.load(),
            None => (Canvas::new(), None),
        };
        let revision = canvas.revision();
        Self {
            canvas,
            tool: Tool::Pen,
            settings,
            resolution: 256,
            compute,
            worker,
            model: None,
            model_problem,
            canvas_view: Default::default(),
            result_view: Default::default(),
            result: None,
            requests: Requests::new(),
            seed: 1,
            variation: None,
            saved_revision: revision,
            autosave,
            autosaved_revision: revision,
            last_autosave: Instant::now(),
            windows: Windows {
                error: restore_problem,
                overlay: std::env::var_os("PIX2PAINT_LATENCY").is_some(),
                ..Windows::default()
            },
            training: Default::default(),
            trainer: None,
            dataset: None,
            background: Vec::new(),
            model_takes_hints: false,
            model_path: None,
            gpu_display: None,
            gpu_result: None,
        }
    }

    /// The current tool.
    pub fn tool(&self) -> Tool {
        self.tool
    }

    /// The model in use, if one is loaded.
    pub fn model(&self) -> Option<&ModelInfo> {
        self.model.as_ref()
    }

    /// The last result shown.
    pub fn result(&self) -> Option<&image::RgbImage> {
        self.result.as_ref()
    }

    /// Whether a painting is on its way.
    pub fn is_busy(&self) -> bool {
        !self.requests.in_flight.is_empty()
    }

    /// Requests sent to the worker so far.
    pub fn requests_sent(&self) -> u64 {
        self.requests.next_id - 1
    }

    /// The message shown in place of a result or in the error window, if any.
    pub fn problem(&self) -> Option<&str> {
        self.windows
            .error
            .as_deref()
            .or(self.model_problem.as_deref())
    }

    fn width(&self) -> f32 {
        match self.tool {
            Tool::Pen => self.settings.pen_width,
            Tool::Eraser | Tool::HintEraser => self.settings.eraser_width,
            Tool::Colour => self.settings.hint_width,
        }
    }

    /// Draw the whole UI for one frame and run the live loop.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.drain_events(&ctx);
        self.drain_training(&ctx);
        let mut commands = self.input_commands(&ctx);

        let toolbar_state = toolbar::ToolbarState {
            tool: self.tool,
            width: self.width(),
            can_undo: self.canvas.can_undo(),
            can_redo: self.canvas.can_redo(),
            has_result: self.result.is_some() || self.gpu_result.is_some(),
            seed: self.seed,
            variation: self.variation,
            training_open: self.training.open,
            hint_colour: self.settings.hint_colour,
            takes_hints: self.model.as_ref().map(|_| self.model_takes_hints),
            has_hints: self.canvas.has_hints(),
        };
        let mut seed = self.seed;
        egui::Panel::top("toolbar").show(ui, |ui| {
            commands.extend(toolbar::show(ui, &toolbar_state, &mut seed));
        });
        self.seed = seed;
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, &mut commands));
        if self.training.open {
            egui::Panel::right("training").show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    commands.extend(self.training.show(ui));
                });
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let side = ((avail.x - 24.0) / 2.0).min(avail.y - 8.0).max(64.0);
            ui.horizontal(|ui| {
                commands.extend(self.canvas_view.show(ui, &self.canvas, side));
                ui.add_space(16.0);
                let busy = !self.requests.in_flight.is_empty();
                let message = if self.model.is_none() {
                    self.model_problem.as_deref()
                } else if self.canvas.is_blank() {
                    // What a model paints from a blank page is noise: say what to do instead.
                    Some(BLANK_CANVAS_HINT)
                } else {
                    None
                };
                commands.extend(self.result_view.show(ui, side, busy, message));
            });
        });
        for c in commands {
            self.apply(&ctx, c);
        }
        self.send_live(&ctx);
        self.autosave(&ctx);
        self.error_window(&ctx);
        self.quit_guard(&ctx);
        if self.windows.overlay {
            self.latency_overlay(&ctx);
        }
        if self.windows.model_window {
            let mut open = true;
            let mut commands = Vec::new();
            self.model_info_window(&ctx, &mut open, &mut commands);
            self.windows.model_window &= open;
            for c in commands {
                self.apply(&ctx, c);
            }
        }
    }
}

/// Shown in the result panel while the canvas is blank.
pub const BLANK_CANVAS_HINT: &str =
    "Draw a cat's outline on the left: it is painted here as you draw.";

impl eframe::App for PaintApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, settings::SETTINGS_KEY, &self.settings);
        self.flush_autosave();
    }
}

//! The live painting loop: the model on the inference worker's thread, the sketch sent to it as
//! it changes, and its answers shown in the result panel (through the GPU display when the
//! model and the window share a device).

use super::effects::Outcome;
use super::gpu_display::GpuDisplay;
use super::requests::Requests;
use super::result_view::ResultView;
use crate::canvas::{Canvas, Point};
use crate::device::Compute;
use crate::inference::{Event, InferenceWorker, Painter, Request};
use crate::weights::{Direction, ModelInfo};
use burn::tensor::Tensor;
use image::RgbImage;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Shown in the result panel while the canvas is blank.
pub const BLANK_CANVAS_HINT: &str =
    "Draw a cat's outline on the left: it is painted here as you draw.";

/// The model in use and what it painted.
pub struct Live {
    compute: Compute,
    worker: InferenceWorker,
    /// What the model says about itself, once one is loaded.
    model: Option<ModelInfo>,
    /// The file the model came from.
    model_path: Option<PathBuf>,
    /// Whether the model takes colour hints.
    takes_hints: bool,
    /// Shown instead of a result while there is no model ("Loading…", how to get one).
    waiting: Option<String>,
    /// The model's side in pixels.
    resolution: u32,
    /// Requests to the worker and their latency.
    pub requests: Requests,
    /// The variation being shown (dropout seed), if any.
    variation: Option<u64>,
    /// The last result, when it is on the CPU.
    result: Option<RgbImage>,
    /// The last result while it lives on the GPU only (read back when saved or copied).
    gpu_result: Option<Tensor<4>>,
    /// Results drawn on the GPU, when the model and the UI share one.
    gpu_display: Option<GpuDisplay>,
    /// The result panel.
    pub(super) view: ResultView,
    /// Print each latency to the log (with the overlay on).
    pub(super) log_latency: bool,
    /// The precision the model paints at (what the worker last said).
    precision: &'static str,
}

impl Live {
    /// Start the worker on `compute`'s device and load `model_path` there, if given.
    pub fn start(ctx: &egui::Context, compute: Compute, model_path: Option<PathBuf>) -> Self {
        let notify = ctx.clone();
        let worker = InferenceWorker::spawn(None, compute.device.clone(), move || {
            notify.request_repaint()
        });
        let waiting = Some(match &model_path {
            Some(p) => {
                worker.load_model(p.clone());
                format!("Loading {}…", p.display())
            }
            None => no_model_text(),
        });
        Self {
            compute,
            worker,
            model: None,
            model_path: None,
            takes_hints: false,
            waiting,
            resolution: 256,
            requests: Requests::default(),
            variation: None,
            result: None,
            gpu_result: None,
            gpu_display: None,
            view: ResultView::default(),
            log_latency: false,
            precision: "fp32",
        }
    }

    /// The device the model runs on.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// The model in use, if one is loaded.
    pub fn model(&self) -> Option<&ModelInfo> {
        self.model.as_ref()
    }

    /// The precision the model paints at ([`crate::inference::Painter::precision`]).
    pub fn precision(&self) -> &'static str {
        self.precision
    }

    /// Whether the model paints faster with 8-bit weights here (on the CPU, where its vector
    /// unit multiplies 16-bit integers faster than floats; measured once).
    pub fn reduced_available(&self) -> bool {
        self.compute.backend == crate::device::Backend::Flex
            && crate::kernels::reduced_precision_faster_here()
    }

    /// Paint at fp32 (`true`) or with 8-bit weights where the CPU allows (`false`); the model
    /// in use is repainted and [`Self::precision`] follows.
    pub fn set_precise(&self, on: bool) {
        self.worker.set_reduced_precision(!on);
    }

    /// The file of the model in use.
    pub fn model_path(&self) -> Option<&PathBuf> {
        self.model_path.as_ref()
    }

    /// Whether the model in use takes colour hints (`None`: no model).
    pub fn takes_hints(&self) -> Option<bool> {
        self.model.as_ref().map(|_| self.takes_hints)
    }

    /// The model's side in pixels.
    pub fn resolution(&self) -> u32 {
        self.resolution
    }

    /// The variation shown, if any.
    pub fn variation(&self) -> Option<u64> {
        self.variation
    }

    /// Whether there is a result (on the CPU or the GPU).
    pub fn has_result(&self) -> bool {
        self.result.is_some() || self.gpu_result.is_some()
    }

    /// The last result, if it was read back to the CPU.
    pub fn result(&self) -> Option<&RgbImage> {
        self.result.as_ref()
    }

    /// The last result as an image (read back from the GPU if it lives there).
    pub fn result_image(&mut self) -> Option<RgbImage> {
        if self.result.is_none()
            && let Some(t) = &self.gpu_result
        {
            self.result = Some(crate::tensor_image::tensor_to_image(t.clone()));
        }
        self.result.clone()
    }

    /// The result's colour at `p` (0–1 coordinates).
    pub fn colour_at(&mut self, p: Point) -> Option<[u8; 3]> {
        let img = self.result_image()?;
        let (w, h) = img.dimensions();
        let x = ((p.x * w as f32) as u32).min(w.saturating_sub(1));
        let y = ((p.y * h as f32) as u32).min(h.saturating_sub(1));
        Some(img.get_pixel(x, y).0)
    }

    /// Why there is no model yet ("Loading…", or how to get one).
    pub fn waiting(&self) -> Option<&str> {
        self.waiting.as_deref()
    }

    /// What the result panel says instead of a result, if anything.
    pub fn message(&self, canvas: &Canvas) -> Option<&str> {
        if self.model.is_none() {
            self.waiting.as_deref()
        } else if canvas.is_blank() {
            // What a model paints from a blank page is noise: say what to do instead.
            Some(BLANK_CANVAS_HINT)
        } else {
            None
        }
    }

    /// Paint the variation with dropout seed `seed`.
    pub fn show_variation(&mut self, seed: u64) {
        self.variation = Some(seed);
        self.requests.resend();
    }

    /// Go back to the plain (dropout-free) result.
    pub fn show_plain(&mut self) {
        self.variation = None;
        self.requests.resend();
    }

    /// Open the model file at `path` (on the worker's thread; the answer comes as an event).
    pub fn load_model(&self, path: PathBuf) {
        self.worker.load_model(path);
    }

    /// Paint with `painter`, already in memory (from a training run), named after `file`.
    pub fn swap_painter(&self, painter: Painter, file: PathBuf) {
        self.worker.swap_painter(painter, Some(file));
    }

    /// Record which side of a pair the model takes as input.
    pub fn set_direction(&mut self, d: Direction) {
        if let Some(m) = &mut self.model {
            m.direction = d;
        }
    }

    /// The model as its file would be saved now (with the direction set here).
    pub fn model_to_save(&self) -> Option<(PathBuf, ModelInfo)> {
        Some((self.model_path.clone()?, self.model.clone()?))
    }

    /// Show results through the GPU display path, drawing with the renderer eframe made on
    /// the model's own wgpu device: call it only when eframe was given that device
    /// (`WgpuSetup::Existing`). Does nothing when the model runs on the CPU.
    pub fn use_gpu_display(&mut self, render_state: eframe::egui_wgpu::RenderState) {
        if self.compute.backend != crate::device::Backend::Wgpu {
            return;
        }
        self.gpu_display = Some(GpuDisplay::new(render_state));
        self.worker.keep_results_on_gpu(true);
    }

    /// Wait up to `timeout` for the worker to report (a result); whether it did. What it
    /// reported is taken in by the next [`Self::drain`].
    pub fn wait_for_worker(&self, timeout: Duration) -> bool {
        self.worker.wait_for_event(timeout)
    }

    /// Take in what the worker reported; what the rest of the app must hear of.
    pub fn drain(&mut self, ctx: &egui::Context) -> Vec<Outcome> {
        let mut out = Vec::new();
        while let Some(event) = self.worker.try_recv() {
            match event {
                Event::Painted {
                    id, image, elapsed, ..
                } => {
                    if self.requests.is_stale(id) {
                        continue;
                    }
                    self.view.set(ctx, &image);
                    self.result = Some(image);
                    self.gpu_result = None;
                    self.shown(id, elapsed);
                }
                Event::PaintedOnGpu {
                    id,
                    output,
                    elapsed,
                    ..
                } => {
                    if self.requests.is_stale(id) {
                        continue;
                    }
                    self.show_gpu(ctx, *output);
                    self.shown(id, elapsed);
                }
                Event::Failed { id, message } => {
                    self.requests.failed(id);
                    if self.model.is_some() {
                        out.push(Outcome::Problem(message));
                    }
                }
                Event::ModelChanged {
                    info,
                    takes_hints,
                    path,
                    precision,
                } => {
                    self.precision = precision;
                    // The path comes with the model it loaded, so a checkpoint reload racing an
                    // Open model can never leave the app naming one file and painting another.
                    self.takes_hints = takes_hints;
                    self.model_path = path;
                    self.resolution = info.resolution.clamp(64, 1024) as u32;
                    self.model = Some(info);
                    self.waiting = None;
                    self.requests.resend();
                }
                Event::ModelLoadFailed { path, message } => {
                    let text = format!("Could not open the model: {message}");
                    if self.model.is_none() {
                        self.waiting = Some(format!("{text}\n\n{}", no_model_text()));
                    }
                    out.push(Outcome::Problem(text));
                    out.push(Outcome::ModelUnreadable(path));
                }
            }
        }
        out
    }

    /// Show a result that lives on the GPU: through the display path, or read back when that
    /// path fails (then it stays off, said once in the log).
    fn show_gpu(&mut self, ctx: &egui::Context, output: Tensor<4>) {
        let shown = self.gpu_display.as_mut().map(|g| g.show(output.clone()));
        match shown {
            Some(Ok(texture)) => self.view.set_native(texture),
            other => {
                if let Some(Err(e)) = other {
                    eprintln!("pix2paint: GPU display off, showing results via the CPU: {e}");
                }
                self.gpu_display = None;
                self.worker.keep_results_on_gpu(false);
                let image = crate::tensor_image::tensor_to_image(output.clone());
                self.view.set(ctx, &image);
            }
        }
        self.result = None;
        self.gpu_result = Some(output);
    }

    fn shown(&mut self, id: u64, elapsed: Duration) {
        if let Some(latency) = self.requests.shown(id, elapsed)
            && self.log_latency
        {
            eprintln!(
                "latency: pointer → result {:.0} ms (model {:.0} ms)",
                latency.as_secs_f64() * 1e3,
                elapsed.as_secs_f64() * 1e3
            );
        }
    }

    /// Send the sketch to the worker whenever it changed (`edited`: when). The worker keeps only
    /// the newest request it has not started, so it starts on the newest sketch the moment it
    /// is free: sending at most every 100 ms instead left the worker painting a sketch up to
    /// 100 ms older than the pointer.
    pub fn send(&mut self, canvas: &Canvas, edited: Instant) {
        if self.model.is_none() {
            return;
        }
        let state = (canvas.revision(), self.variation);
        if self.requests.already_sent(state) {
            return;
        }
        let id = self.requests.send(state, edited);
        self.worker.request(Request {
            id,
            sketch: canvas.rasterize(self.resolution),
            variation: self.variation,
            hints: (self.takes_hints && canvas.has_hints())
                .then(|| canvas.rasterize_hints(self.resolution)),
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

//! The painting app: the sketch canvas on the left, the live result on the right.
//!
//! State lives in [`PaintApp`]; panels ([`canvas_view`], [`result_view`], [`toolbar`]) draw it and
//! return [`Command`]s, which [`PaintApp::apply`] carries out in one place. The model runs on the
//! [`InferenceWorker`] thread; the UI thread only rasterises the sketch and uploads textures.

pub mod canvas_view;
pub mod command;
pub mod result_view;
pub mod settings;
pub mod toolbar;
pub mod training;

pub use command::Command;
pub use settings::{Autosave, Settings};

use crate::canvas::{Canvas, Tool, lines_from_rgb};
use crate::dataset::Dataset;
use crate::device::Compute;
use crate::inference::{Event, InferenceWorker, Request};
use crate::tensor_image::{read_image, to_sketch};
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

/// The app.
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
    next_id: u64,
    sent_revision: Option<(u64, Option<u64>)>,
    last_send: Option<Instant>,
    last_edit: Instant,
    in_flight: BTreeMap<u64, Instant>,
    last_result_id: u64,
    /// Live-loop latency figures.
    pub latency: LatencyStats,
    seed: u64,
    variation: Option<u64>,
    saved_revision: u64,
    autosave: Option<Autosave>,
    autosaved_revision: u64,
    last_autosave: Instant,
    error: Option<String>,
    confirm_quit: bool,
    allowed_to_close: bool,
    overlay: bool,
    /// Whether the model info window is open.
    model_window: bool,
    /// The last finished file job, for the status bar.
    notice: Option<String>,
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

/// The GPU display path: the WGSL shader writes each result tensor into a texture that egui
/// samples, on the device the model ran on; nothing goes through the CPU.
pub struct GpuDisplay {
    render_state: eframe::egui_wgpu::RenderState,
    shader: crate::gpu_image::TensorToTexture,
    texture: Option<(wgpu::Texture, egui::TextureId)>,
}

impl GpuDisplay {
    /// Write `output` into the display texture (made or resized as needed); its egui id.
    fn show(&mut self, output: burn::tensor::Tensor<4>) -> Result<egui::TextureId, String> {
        use crate::gpu_image::{create_texture, display_view};
        let [_, _, h, w] = output.dims();
        let rs = &self.render_state;
        let fits = self
            .texture
            .as_ref()
            .is_some_and(|(t, _)| (t.width(), t.height()) == (w as u32, h as u32));
        if !fits {
            let texture = create_texture(&rs.device, w as u32, h as u32);
            let view = display_view(&texture);
            let mut renderer = rs.renderer.write();
            let id = match &self.texture {
                Some((_, id)) => {
                    renderer.update_egui_texture_from_wgpu_texture(
                        &rs.device,
                        &view,
                        wgpu::FilterMode::Linear,
                        *id,
                    );
                    *id
                }
                None => {
                    renderer.register_native_texture(&rs.device, &view, wgpu::FilterMode::Linear)
                }
            };
            self.texture = Some((texture, id));
        }
        let (texture, id) = self.texture.as_ref().expect("made above");
        self.shader
            .run(&rs.device, &rs.queue, output, texture)
            .map_err(|e| e.to_string())?;
        Ok(*id)
    }
}

impl PaintApp {
    /// Show results through the GPU display path, drawing with the renderer eframe made on
    /// the model's own wgpu device: call it only when eframe was given that device
    /// (`WgpuSetup::Existing`). Does nothing when the model runs on the CPU.
    pub fn use_gpu_display(&mut self, render_state: eframe::egui_wgpu::RenderState) {
        if self.compute.backend != crate::device::Backend::Wgpu {
            return;
        }
        self.gpu_display = Some(GpuDisplay {
            shader: crate::gpu_image::TensorToTexture::new(&render_state.device),
            render_state,
            texture: None,
        });
        self.worker.keep_results_on_gpu(true);
    }

    /// Bookkeeping when the result of request `id` is on screen: latency, in-flight list.
    fn result_shown(&mut self, id: u64, elapsed: Duration) {
        self.last_result_id = id;
        self.latency.last_inference = Some(elapsed);
        if let Some(t0) = self.in_flight.get(&id) {
            let latency = t0.elapsed();
            self.latency.samples.push(latency);
            if self.overlay {
                eprintln!(
                    "latency: pointer → result {:.0} ms (model {:.0} ms)",
                    latency.as_secs_f64() * 1e3,
                    elapsed.as_secs_f64() * 1e3
                );
            }
        }
        self.in_flight.retain(|&k, _| k > id);
    }

    /// The last result as an image (read back from the GPU if it lives there).
    fn result_image(&mut self) -> Option<image::RgbImage> {
        if self.result.is_none()
            && let Some(t) = &self.gpu_result
        {
            self.result = Some(crate::tensor_image::tensor_to_image(t.clone()));
        }
        self.result.clone()
    }

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
            next_id: 1,
            sent_revision: None,
            last_send: None,
            last_edit: Instant::now(),
            in_flight: BTreeMap::new(),
            last_result_id: 0,
            latency: Default::default(),
            seed: 1,
            variation: None,
            saved_revision: revision,
            autosave,
            autosaved_revision: revision,
            last_autosave: Instant::now(),
            error: restore_problem,
            confirm_quit: false,
            allowed_to_close: false,
            overlay: std::env::var_os("PIX2PAINT_LATENCY").is_some(),
            model_window: false,
            notice: None,
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
        !self.in_flight.is_empty()
    }

    /// Requests sent to the worker so far.
    pub fn requests_sent(&self) -> u64 {
        self.next_id - 1
    }

    /// The message shown in place of a result or in the error window, if any.
    pub fn problem(&self) -> Option<&str> {
        self.error.as_deref().or(self.model_problem.as_deref())
    }

    fn width(&self) -> f32 {
        match self.tool {
            Tool::Pen => self.settings.pen_width,
            Tool::Eraser | Tool::HintEraser => self.settings.eraser_width,
            Tool::Colour => self.settings.hint_width,
        }
    }

    /// Carry out one command.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        let width = self.width() / self.resolution as f32;
        match command {
            Command::BeginStroke(p) => {
                self.canvas
                    .begin_coloured(self.tool, width, self.settings.hint_colour, p);
                self.last_edit = Instant::now();
            }
            Command::ExtendStroke(p) => {
                self.canvas.extend(p);
                self.last_edit = Instant::now();
            }
            Command::EndStroke => self.canvas.end(),
            Command::Undo => self.edit(|c| c.undo()),
            Command::Redo => self.edit(|c| c.redo()),
            Command::Clear => self.edit(|c| c.clear()),
            Command::SetTool(t) => self.tool = t,
            Command::SetHintColour(rgb) => self.settings.hint_colour = rgb,
            Command::ClearHints => self.edit(|c| c.clear_hints()),
            Command::PickColour(p) => {
                if let Some(img) = self.result_image() {
                    let (w, h) = img.dimensions();
                    let x = ((p.x * w as f32) as u32).min(w.saturating_sub(1));
                    let y = ((p.y * h as f32) as u32).min(h.saturating_sub(1));
                    self.settings.hint_colour = img.get_pixel(x, y).0;
                    self.tool = Tool::Colour;
                }
            }
            Command::SetWidth(w) => {
                let w = w.clamp(1.0, 40.0);
                match self.tool {
                    Tool::Pen => self.settings.pen_width = w,
                    Tool::Eraser | Tool::HintEraser => self.settings.eraser_width = w,
                    Tool::Colour => self.settings.hint_width = w,
                }
            }
            Command::Variation(seed) => {
                self.variation = Some(seed);
                self.seed = seed.wrapping_add(1);
                self.sent_revision = None;
            }
            Command::PlainResult => {
                self.variation = None;
                self.sent_revision = None;
            }
            Command::OpenSketchDialog => {
                if let Some(p) = self.image_dialog().pick_file() {
                    self.apply(ctx, Command::OpenSketch(p));
                }
            }
            Command::OpenSketch(path) => self.open_sketch(&path),
            Command::OpenPhotoDialog => {
                if let Some(p) = self.image_dialog().pick_file() {
                    self.apply(ctx, Command::OpenPhoto(p));
                }
            }
            Command::OpenPhoto(path) => self.open_photo(&path),
            Command::SaveSketchDialog => {
                if let Some(p) = self.image_dialog().set_file_name("sketch.png").save_file() {
                    self.apply(ctx, Command::SaveSketch(p));
                }
            }
            Command::SaveSketch(p) => {
                self.remember_image_dir(&p);
                let img = self.canvas.rasterize(2 * self.resolution);
                let hints = crate::hints::layer_path_for(&p);
                let saved = crate::files::save_image(&img, &p).and_then(|()| {
                    if self.canvas.has_hints() {
                        crate::files::save_rgba(
                            &self.canvas.rasterize_hints(2 * self.resolution),
                            &hints,
                        )
                    } else {
                        Ok(())
                    }
                });
                match saved {
                    Ok(()) => self.saved_revision = self.canvas.revision(),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Command::SaveResultDialog => {
                if let Some(result) = self.result_image()
                    && let Some(p) = self.image_dialog().set_file_name("painted.png").save_file()
                {
                    self.remember_image_dir(&p);
                    if let Err(e) = crate::files::save_image(&result, &p) {
                        self.error = Some(e.to_string());
                    }
                }
            }
            Command::CopyResult => {
                if let Some(r) = &self.result_image() {
                    let (w, h) = r.dimensions();
                    ctx.copy_image(egui::ColorImage::from_rgb(
                        [w as usize, h as usize],
                        r.as_raw(),
                    ));
                }
            }
            Command::OpenModelDialog => {
                let mut d = rfd::FileDialog::new()
                    .add_filter("Models", &MODEL_EXTENSIONS)
                    .add_filter("pix2paint model", &["safetensors"])
                    .add_filter("PyTorch pix2pix generator", &["pth", "pt"])
                    .add_filter("pix2pix web demo model", &["pict"]);
                if let Some(dir) = &self.settings.last_model_dir {
                    d = d.set_directory(dir);
                }
                if let Some(p) = d.pick_file() {
                    self.apply(ctx, Command::OpenModel(p));
                }
            }
            Command::OpenModel(path) => {
                self.settings.last_model_dir = path.parent().map(Path::to_owned);
                self.settings.model_path = Some(path.clone());
                self.worker.load_model(path);
            }
            Command::ToggleOverlay => self.overlay = !self.overlay,
            Command::ToggleModelInfo => self.model_window = !self.model_window,
            Command::SetModelDirection(d) => {
                if let Some(m) = &mut self.model {
                    m.direction = d;
                    // Fine-tuning data is read the way the model runs.
                    self.training.btoa = d == crate::weights::Direction::BtoA;
                }
            }
            Command::SaveModelAsDialog => {
                if let (Some(src), Some(info)) = (self.model_path.clone(), self.model.clone())
                    && let Some(dest) = rfd::FileDialog::new()
                        .add_filter("pix2paint model", &["safetensors"])
                        .set_file_name(format!("{}.safetensors", info.name))
                        .save_file()
                {
                    let done = ctx.clone();
                    self.run_background(ctx, move || {
                        let r = copy_model_with(&src, &dest, Some(info));
                        done.request_repaint();
                        Background::Notice(r)
                    });
                }
            }
            Command::ToggleTraining => self.training.open = !self.training.open,
            Command::TrainPickData => {
                if let Some(dir) = rfd::FileDialog::new().pick_folder() {
                    self.apply(ctx, Command::TrainOpenData(dir));
                }
            }
            Command::TrainOpenData(dir) => {
                self.training.data_dir = Some(dir);
                self.apply(ctx, Command::TrainReloadData);
            }
            Command::TrainReloadData => self.open_dataset(ctx),
            Command::TrainStart => self.start_training(ctx, false),
            Command::TrainContinue => self.start_training(ctx, true),
            Command::TrainPickMasks => {
                if let Some(dir) = rfd::FileDialog::new().pick_folder() {
                    self.apply(ctx, Command::TrainSetMasks(Some(dir)));
                }
            }
            Command::TrainSetMasks(dir) => {
                self.training.masks_dir = dir;
                self.apply(ctx, Command::TrainReloadData);
            }
            Command::TrainPause => self.send_trainer(Control::Pause),
            Command::TrainResume => self.send_trainer(Control::Resume),
            Command::TrainStop => self.send_trainer(Control::Stop),
            Command::TrainSaveAs => {
                if let Some(src) = self.training.latest.clone()
                    && let Some(dest) = rfd::FileDialog::new()
                        .add_filter("pix2paint model", &["safetensors"])
                        .set_file_name("my-model.safetensors")
                        .save_file()
                {
                    self.run_background(ctx, move || Background::Message(copy_model(&src, &dest)));
                }
            }
        }
    }

    fn run_background(
        &mut self,
        ctx: &egui::Context,
        f: impl FnOnce() -> Background + Send + 'static,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(f());
            ctx.request_repaint();
        });
        self.background.push(rx);
    }

    fn open_dataset(&mut self, ctx: &egui::Context) {
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
            let direction = if btoa {
                crate::weights::Direction::BtoA
            } else {
                crate::weights::Direction::AtoB
            };
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
    fn run_paths(&self, root: &Path) -> (PathBuf, PathBuf, String) {
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

    fn start_training(&mut self, ctx: &egui::Context, continue_previous: bool) {
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
            config.steps = (self.training.epochs * data.len() as u64)
                .div_ceil(config.batch_size.max(1) as u64);
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

    fn send_trainer(&self, c: Control) {
        if let Some(t) = &self.trainer {
            t.send(c);
        }
    }

    /// Apply reports from the trainer and background jobs.
    fn drain_training(&mut self, ctx: &egui::Context) {
        let mut finished = Vec::new();
        for (k, rx) in self.background.iter().enumerate() {
            if let Ok(msg) = rx.try_recv() {
                finished.push(k);
                match msg {
                    Background::Dataset(Ok((d, previews))) => {
                        let textures = previews
                            .iter()
                            .enumerate()
                            .map(|(i, p)| training::texture(ctx, &format!("pair{i}"), p))
                            .collect();
                        self.training.summary = Some((d.len(), d.skipped.len(), textures));
                        self.training.message = None;
                        self.dataset = Some(d);
                    }
                    Background::Dataset(Err(e)) | Background::Message(Err(e)) => {
                        self.training.message = Some(e)
                    }
                    Background::Message(Ok(m)) => self.training.message = Some(m),
                    Background::Notice(Ok(m)) => self.notice = Some(m),
                    Background::Notice(Err(e)) => self.error = Some(e),
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

    fn on_train_event(&mut self, ctx: &egui::Context, e: TrainEvent) {
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
                        training::texture(ctx, &format!("sample{i}"), &row)
                    })
                    .collect();
            }
            TrainEvent::Checkpoint { path, step } => {
                // The live canvas paints with the newest weights.
                self.training.latest = Some(path.clone());
                self.training.message = Some(format!("step {step}: checkpoint saved"));
                self.worker.load_model(path);
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

    fn edit(&mut self, f: impl FnOnce(&mut Canvas)) {
        f(&mut self.canvas);
        self.last_edit = Instant::now();
    }

    fn image_dialog(&self) -> rfd::FileDialog {
        let mut d =
            rfd::FileDialog::new().add_filter("Images", &["png", "jpg", "jpeg", "webp", "bmp"]);
        if let Some(dir) = &self.settings.last_image_dir {
            d = d.set_directory(dir);
        }
        d
    }

    fn remember_image_dir(&mut self, p: &Path) {
        self.settings.last_image_dir = p.parent().map(Path::to_owned);
    }

    fn open_sketch(&mut self, path: &Path) {
        self.remember_image_dir(path);
        match read_image(path) {
            Ok(img) => {
                let lines = lines_from_rgb(&to_sketch(&img));
                let (w, h) = lines.dimensions();
                self.edit(|c| c.set_background(lines));
                // The hint layer saved beside it (NAME.hints.png), when there is one.
                let hints_path = crate::hints::layer_path_for(path);
                if hints_path.is_file() {
                    match crate::hints::read_hint_layer(&hints_path, w, h) {
                        Ok(layer) => self.edit(|c| c.set_hint_background(layer)),
                        Err(e) => {
                            self.error = Some(format!("the sketch opened, its hints did not: {e}"))
                        }
                    }
                }
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn open_photo(&mut self, path: &Path) {
        self.remember_image_dir(path);
        match read_image(path) {
            Ok(img) => {
                // Extract at the model's resolution, where the default settings were tuned.
                let rgb = crate::tensor_image::to_rgb(&img);
                let rgb = image::imageops::resize(
                    &rgb,
                    self.resolution,
                    self.resolution,
                    image::imageops::FilterType::Triangle,
                );
                let lines =
                    crate::lines::extract_lines(&rgb, None, &crate::lines::LineConfig::default());
                self.edit(|c| c.set_background(lines));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Read keyboard shortcuts and dropped files into commands.
    fn input_commands(&mut self, ctx: &egui::Context) -> Vec<Command> {
        use egui::{Key, KeyboardShortcut as S, Modifiers as M};
        let mut out = Vec::new();
        ctx.input_mut(|i| {
            // Redo first: Ctrl+Shift+Z would also match Ctrl+Z.
            if i.consume_shortcut(&S::new(M::COMMAND | M::SHIFT, Key::Z))
                || i.consume_shortcut(&S::new(M::COMMAND, Key::Y))
            {
                out.push(Command::Redo);
            }
            if i.consume_shortcut(&S::new(M::COMMAND, Key::Z)) {
                out.push(Command::Undo);
            }
            if i.consume_shortcut(&S::new(M::COMMAND, Key::O)) {
                out.push(Command::OpenSketchDialog);
            }
            if i.consume_shortcut(&S::new(M::COMMAND, Key::S)) {
                out.push(Command::SaveSketchDialog);
            }
            if i.consume_key(M::NONE, Key::B) {
                out.push(Command::SetTool(Tool::Pen));
            }
            if i.consume_key(M::SHIFT, Key::E) {
                out.push(Command::SetTool(Tool::HintEraser));
            }
            if i.consume_key(M::NONE, Key::E) {
                out.push(Command::SetTool(Tool::Eraser));
            }
            if i.consume_key(M::NONE, Key::C) {
                out.push(Command::SetTool(Tool::Colour));
            }
            if i.consume_key(M::NONE, Key::Delete) {
                out.push(Command::Clear);
            }
            if i.consume_key(M::NONE, Key::F3) {
                out.push(Command::ToggleOverlay);
            }
            for file in std::mem::take(&mut i.raw.dropped_files) {
                let path = file.path().to_owned();
                let is_model = path
                    .extension()
                    .is_some_and(|e| MODEL_EXTENSIONS.iter().any(|m| e.eq_ignore_ascii_case(m)));
                out.push(if is_model {
                    Command::OpenModel(path)
                } else {
                    Command::OpenSketch(path)
                });
            }
        });
        let width = self.width();
        ctx.input_mut(|i| {
            if i.consume_key(egui::Modifiers::NONE, Key::OpenBracket) {
                out.push(Command::SetWidth(width / 1.25));
            }
            if i.consume_key(egui::Modifiers::NONE, Key::CloseBracket) {
                out.push(Command::SetWidth(width * 1.25));
            }
        });
        out
    }

    /// Apply what the worker reported.
    fn drain_events(&mut self, ctx: &egui::Context) {
        while let Some(event) = self.worker.try_recv() {
            match event {
                Event::Painted {
                    id, image, elapsed, ..
                } => {
                    if id < self.last_result_id {
                        continue;
                    }
                    self.result_view.set(ctx, &image);
                    self.result = Some(image);
                    self.gpu_result = None;
                    self.result_shown(id, elapsed);
                }
                Event::PaintedOnGpu {
                    id,
                    output,
                    elapsed,
                    ..
                } => {
                    if id < self.last_result_id {
                        continue;
                    }
                    let output = *output;
                    let shown = self.gpu_display.as_mut().map(|g| g.show(output.clone()));
                    match shown {
                        Some(Ok(texture)) => self.result_view.set_native(texture),
                        other => {
                            // Keep painting, through the CPU: say why once in the log.
                            if let Some(Err(e)) = other {
                                eprintln!(
                                    "pix2paint: GPU display off, showing results via the CPU: {e}"
                                );
                            }
                            self.gpu_display = None;
                            self.worker.keep_results_on_gpu(false);
                            let image = crate::tensor_image::tensor_to_image(output.clone());
                            self.result_view.set(ctx, &image);
                        }
                    }
                    self.result = None;
                    self.gpu_result = Some(output);
                    self.result_shown(id, elapsed);
                }
                Event::Failed { id, message } => {
                    self.in_flight.retain(|&k, _| k > id);
                    if self.model.is_some() {
                        self.error = Some(message);
                    }
                }
                Event::ModelChanged {
                    info,
                    takes_hints,
                    path,
                } => {
                    // The path comes with the model it loaded, so a checkpoint reload racing an
                    // Open model can never leave the app naming one file and painting another.
                    self.model_takes_hints = takes_hints;
                    self.model_path = path;
                    self.resolution = info.resolution.clamp(64, 1024) as u32;
                    self.model = Some(info);
                    self.model_problem = None;
                    self.sent_revision = None;
                }
                Event::ModelLoadFailed { path, message } => {
                    let text = format!("Could not open the model: {message}");
                    if self.model.is_none() {
                        self.model_problem = Some(format!("{text}\n\n{}", no_model_text()));
                    }
                    self.error = Some(text);
                    if self.settings.model_path.as_deref() == Some(path.as_path()) {
                        self.settings.model_path = None;
                    }
                }
            }
        }
    }

    /// Send the sketch to the worker when it changed: at most every [`LIVE_INTERVAL`] while a
    /// stroke is in progress (several updates during a long stroke), at once otherwise.
    fn send_live(&mut self, ctx: &egui::Context) {
        if self.model.is_none() {
            return;
        }
        let state = (self.canvas.revision(), self.variation);
        if self.sent_revision == Some(state) {
            return;
        }
        let drawing = self.canvas.current().is_some();
        if drawing
            && let Some(t) = self.last_send
            && t.elapsed() < LIVE_INTERVAL
        {
            ctx.request_repaint_after(LIVE_INTERVAL - t.elapsed());
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.worker.request(Request {
            id,
            sketch: self.canvas.rasterize(self.resolution),
            variation: self.variation,
            hints: (self.model_takes_hints && self.canvas.has_hints())
                .then(|| self.canvas.rasterize_hints(self.resolution)),
        });
        self.in_flight.insert(id, self.last_edit);
        self.sent_revision = Some(state);
        self.last_send = Some(Instant::now());
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        let rev = self.canvas.revision();
        let Some(a) = &self.autosave else { return };
        if rev == self.autosaved_revision || self.canvas.current().is_some() {
            return;
        }
        let since = self.last_autosave.elapsed();
        if since < AUTOSAVE_INTERVAL {
            // Come back when it is due: an idle app repaints for nothing else, and a crash in
            // the meantime would lose the edit.
            ctx.request_repaint_after(AUTOSAVE_INTERVAL - since);
            return;
        }
        if let Err(e) = a.save(&self.canvas) {
            self.error = Some(format!("autosave to {} failed: {e}", a.dir().display()));
        }
        self.autosaved_revision = rev;
        self.last_autosave = Instant::now();
    }

    /// Whether the sketch changed since it was last saved by the user.
    pub fn has_unsaved_changes(&self) -> bool {
        self.canvas.revision() != self.saved_revision && !self.canvas.is_blank()
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
                let busy = !self.in_flight.is_empty();
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
        if self.overlay {
            self.latency_overlay(&ctx);
        }
        if self.model_window {
            let mut open = true;
            let mut commands = Vec::new();
            self.model_info_window(&ctx, &mut open, &mut commands);
            self.model_window &= open;
            for c in commands {
                self.apply(&ctx, c);
            }
        }
    }

    fn model_info_window(&self, ctx: &egui::Context, open: &mut bool, out: &mut Vec<Command>) {
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
                                out.push(Command::SetModelDirection(d));
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
                    out.push(Command::SaveModelAsDialog);
                }
            });
    }

    fn status_bar(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(&self.compute.description);
            ui.separator();
            let label = match &self.model {
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
            if let Some(t) = self.latency.last_inference {
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
            if let Some(n) = &self.notice {
                ui.separator();
                ui.label(n);
            }
        });
    }

    fn latency_overlay(&self, ctx: &egui::Context) {
        egui::Window::new("Latency (F3)")
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -32.0))
            .resizable(false)
            .show(ctx, |ui| {
                let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
                ui.label(format!(
                    "pointer to result, median of {}: {}",
                    self.latency.samples.len(),
                    self.latency.median().map_or("–".into(), ms)
                ));
                if let Some(last) = self.latency.samples.last() {
                    ui.label(format!("last: {}", ms(*last)));
                }
            });
    }

    fn error_window(&mut self, ctx: &egui::Context) {
        let Some(msg) = self.error.clone() else {
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
                    self.error = None;
                }
            });
        if !open {
            self.error = None;
        }
    }

    /// Ask before quitting with unsaved changes (the autosave keeps them either way).
    fn quit_guard(&mut self, ctx: &egui::Context) {
        let close = ctx.input(|i| i.viewport().close_requested());
        if close && !self.allowed_to_close && self.has_unsaved_changes() {
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
                ui.label("The sketch has changes you have not saved. (It is autosaved and comes back next time.)");
                ui.horizontal(|ui| {
                    if ui.button("Save…").clicked() {
                        self.confirm_quit = false;
                        self.apply(ctx, Command::SaveSketchDialog);
                    }
                    if ui.button("Quit").clicked() {
                        self.allowed_to_close = true;
                        self.confirm_quit = false;
                        if let Some(a) = &self.autosave {
                            let _ = a.save(&self.canvas);
                        }
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_quit = false;
                    }
                });
            });
    }

    /// Flush the autosave now (on exit).
    pub fn flush_autosave(&mut self) {
        if let Some(a) = &self.autosave {
            let _ = a.save(&self.canvas);
        }
    }
}

/// Shown in the result panel while the canvas is blank.
pub const BLANK_CANVAS_HINT: &str =
    "Draw a cat's outline on the left: it is painted here as you draw.";

/// Two images side by side (for dataset and sample previews).
fn side_by_side(a: &image::RgbImage, b: &image::RgbImage) -> image::RgbImage {
    use image::GenericImage;
    let h = a.height().max(b.height());
    let mut out =
        image::RgbImage::from_pixel(a.width() + b.width(), h, image::Rgb([255, 255, 255]));
    let _ = out.copy_from(a, 0, 0);
    let _ = out.copy_from(b, a.width(), 0);
    out
}

/// Write a trained model elsewhere without its training state.
fn copy_model(src: &Path, dest: &Path) -> Result<String, String> {
    copy_model_with(src, dest, None)
}

/// Copy a model (any readable kind) into a pix2paint file, with `info` replacing its own.
fn copy_model_with(
    src: &Path,
    dest: &Path,
    info: Option<crate::weights::ModelInfo>,
) -> Result<String, String> {
    let device = burn::tensor::Device::flex();
    let mut m = crate::weights::load(src, &device).map_err(|e| e.to_string())?;
    if let Some(info) = info {
        m.info = info;
    }
    crate::weights::save_model_file(dest, &m, crate::weights::Precision::Full)
        .map_err(|e| e.to_string())?;
    Ok(format!("saved {}", dest.display()))
}

fn no_model_text() -> String {
    format!(
        "No model installed yet.\n\nFile > Open model… (or drop a .safetensors, .pth or .pict file here) to \
         paint with one. The default cat model will live in {}.",
        crate::weights::default_model_dir().display()
    )
}

impl eframe::App for PaintApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, settings::SETTINGS_KEY, &self.settings);
        self.flush_autosave();
    }
}

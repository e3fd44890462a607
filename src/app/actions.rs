//! Carrying out [`Command`]s: every state change, file job and thread the panels ask for goes
//! through [`PaintApp::apply`] (the file dialogs through [`super::dialogs`] first).

use super::*;

impl PaintApp {
    /// Carry out one command.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        let width = self.width() / self.resolution as f32;
        match command {
            Command::OpenSketchDialog
            | Command::OpenPhotoDialog
            | Command::SaveSketchDialog
            | Command::SaveResultDialog
            | Command::OpenModelDialog
            | Command::SaveModelAsDialog
            | Command::TrainPickData
            | Command::TrainPickMasks
            | Command::TrainSaveAs => {
                if let Some(next) = self.ask(&command) {
                    self.apply(ctx, next);
                }
            }
            Command::BeginStroke(p) => {
                self.canvas
                    .begin_coloured(self.tool, width, self.settings.hint_colour, p);
                self.requests.last_edit = Instant::now();
            }
            Command::ExtendStroke(p) => {
                self.canvas.extend(p);
                self.requests.last_edit = Instant::now();
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
                self.requests.sent_revision = None;
            }
            Command::PlainResult => {
                self.variation = None;
                self.requests.sent_revision = None;
            }
            Command::OpenSketch(path) => self.open_sketch(&path),
            Command::OpenExample(n) => match crate::assets::example(n) {
                Some(Ok(sketch)) => {
                    // As a sketch file opens (without a hint layer to look for).
                    let lines =
                        lines_from_rgb(&to_sketch(&image::DynamicImage::ImageLuma8(sketch)));
                    self.edit(|c| c.set_background(lines));
                }
                Some(Err(e)) => {
                    self.windows.error = Some(format!("the example sketch is damaged: {e}"))
                }
                None => {}
            },
            Command::OpenPhoto(path) => self.open_photo(&path),
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
                    Err(e) => self.windows.error = Some(e.to_string()),
                }
            }
            Command::SaveResult(p) => {
                self.remember_image_dir(&p);
                if let Some(result) = self.result_image()
                    && let Err(e) = crate::files::save_image(&result, &p)
                {
                    self.windows.error = Some(e.to_string());
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
            Command::OpenModel(path) => {
                self.settings.last_model_dir = path.parent().map(Path::to_owned);
                self.settings.model_path = Some(path.clone());
                self.worker.load_model(path);
            }
            Command::ToggleOverlay => self.windows.overlay = !self.windows.overlay,
            Command::ToggleModelInfo => self.windows.model_window = !self.windows.model_window,
            Command::SetModelDirection(d) => {
                if let Some(m) = &mut self.model {
                    m.direction = d;
                    // Fine-tuning data is read the way the model runs.
                    self.training.btoa = d == crate::weights::Direction::BtoA;
                }
            }
            Command::SaveModelAs(dest) => {
                if let (Some(src), Some(info)) = (self.model_path.clone(), self.model.clone()) {
                    let done = ctx.clone();
                    self.run_background(ctx, move || {
                        let r = copy_model_with(&src, &dest, Some(info));
                        done.request_repaint();
                        Background::Notice(r)
                    });
                }
            }
            Command::ToggleTraining => self.training.open = !self.training.open,
            Command::TrainOpenData(dir) => {
                self.training.data_dir = Some(dir);
                self.apply(ctx, Command::TrainReloadData);
            }
            Command::TrainReloadData => self.open_dataset(ctx),
            Command::TrainStart => self.start_training(ctx, false),
            Command::TrainContinue => self.start_training(ctx, true),
            Command::TrainSetMasks(dir) => {
                self.training.masks_dir = dir;
                self.apply(ctx, Command::TrainReloadData);
            }
            Command::TrainPause => self.send_trainer(Control::Pause),
            Command::TrainResume => self.send_trainer(Control::Resume),
            Command::TrainStop => self.send_trainer(Control::Stop),
            Command::TrainSaveTo(dest) => {
                if let Some(src) = self.training.latest.clone() {
                    self.run_background(ctx, move || Background::Message(copy_model(&src, &dest)));
                }
            }
        }
    }

    pub(super) fn run_background(
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

    pub(super) fn edit(&mut self, f: impl FnOnce(&mut Canvas)) {
        f(&mut self.canvas);
        self.requests.last_edit = Instant::now();
    }

    pub(super) fn remember_image_dir(&mut self, p: &Path) {
        self.settings.last_image_dir = p.parent().map(Path::to_owned);
    }

    pub(super) fn open_sketch(&mut self, path: &Path) {
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
                            self.windows.error =
                                Some(format!("the sketch opened, its hints did not: {e}"))
                        }
                    }
                }
            }
            Err(e) => self.windows.error = Some(e.to_string()),
        }
    }

    pub(super) fn open_photo(&mut self, path: &Path) {
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
            Err(e) => self.windows.error = Some(e.to_string()),
        }
    }
}

/// Write a trained model elsewhere without its training state.
pub(super) fn copy_model(src: &Path, dest: &Path) -> Result<String, String> {
    copy_model_with(src, dest, None)
}

/// Copy a model (any readable kind) into a pix2paint file, with `info` replacing its own.
pub(super) fn copy_model_with(
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

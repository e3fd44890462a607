//! Carrying out [`FileCommand`]s: sketches, photos and results to and from files, the model in
//! use opened, described and saved (the dialogs through [`super::dialogs`] first).

use super::*;

impl PaintApp {
    /// Carry out one file or model command.
    pub(super) fn apply_file(&mut self, ctx: &egui::Context, command: FileCommand) {
        match command {
            FileCommand::OpenSketchDialog
            | FileCommand::OpenPhotoDialog
            | FileCommand::SaveSketchDialog
            | FileCommand::SaveResultDialog
            | FileCommand::OpenModelDialog
            | FileCommand::SaveModelAsDialog => {
                if let Some(next) = self.ask_file(&command) {
                    self.apply_file(ctx, next);
                }
            }
            FileCommand::OpenSketch(path) => self.open_sketch(&path),
            FileCommand::OpenExample(n) => match crate::assets::example(n) {
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
            FileCommand::OpenPhoto(path) => self.open_photo(&path),
            FileCommand::SaveSketch(p) => {
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
            FileCommand::SaveResult(p) => {
                self.remember_image_dir(&p);
                if let Some(result) = self.result_image()
                    && let Err(e) = crate::files::save_image(&result, &p)
                {
                    self.windows.error = Some(e.to_string());
                }
            }
            FileCommand::CopyResult => {
                if let Some(r) = &self.result_image() {
                    let (w, h) = r.dimensions();
                    ctx.copy_image(egui::ColorImage::from_rgb(
                        [w as usize, h as usize],
                        r.as_raw(),
                    ));
                }
            }
            FileCommand::OpenModel(path) => {
                self.settings.last_model_dir = path.parent().map(Path::to_owned);
                self.settings.model_path = Some(path.clone());
                self.worker.load_model(path);
            }
            FileCommand::SetModelDirection(d) => {
                if let Some(m) = &mut self.model {
                    m.direction = d;
                    // Fine-tuning data is read the way the model runs.
                    self.training.btoa = d == crate::weights::Direction::BtoA;
                }
            }
            FileCommand::SaveModelAs(dest) => {
                if let (Some(src), Some(info)) = (self.model_path.clone(), self.model.clone()) {
                    let done = ctx.clone();
                    self.run_background(ctx, move || {
                        let r = copy_model_with(&src, &dest, Some(info));
                        done.request_repaint();
                        Background::Notice(r)
                    });
                }
            }
        }
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
                            self.windows.error =
                                Some(format!("the sketch opened, its hints did not: {e}"))
                        }
                    }
                }
            }
            Err(e) => self.windows.error = Some(e.to_string()),
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
            Err(e) => self.windows.error = Some(e.to_string()),
        }
    }
}

/// Write a trained model elsewhere without its training state.
pub(super) fn copy_model(src: &Path, dest: &Path) -> Result<String, String> {
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

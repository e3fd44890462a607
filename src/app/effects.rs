//! Everything the app does to the world outside its own state, in one place: native dialogs,
//! reading and writing the user's files, the clipboard, work on background threads, closing the
//! window. Commands become [`Effect`]s; performing one gives an [`Outcome`] (at once, or later
//! from a background thread), which the app folds back into its parts.

use super::command::Command;
use super::dialogs::Dialog;
use super::settings::Settings;
use crate::dataset::{Dataset, Layout};
use crate::imaging::{lines_from_rgb, read_image, to_sketch};
use crate::weights::{Direction, ModelInfo};
use image::{GrayImage, RgbImage, RgbaImage};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

/// Something to do outside the app's state.
pub enum Effect {
    /// Ask the user for a path.
    Ask(Dialog),
    /// Read a sketch file (and the hint layer saved beside it).
    ReadSketch(PathBuf),
    /// Read a photo and turn it into lines at `side` pixels.
    ReadPhoto {
        /// The photo.
        path: PathBuf,
        /// The model's side.
        side: u32,
    },
    /// Write the sketch (and its hints beside it as `NAME.hints.png`).
    WriteSketch {
        /// Where.
        path: PathBuf,
        /// The lines.
        sketch: RgbImage,
        /// The hint layer, when the sketch has hints.
        hints: Option<RgbaImage>,
    },
    /// Write the result.
    WriteResult {
        /// Where.
        path: PathBuf,
        /// The painting.
        image: RgbImage,
    },
    /// Put an image on the clipboard.
    Copy(RgbImage),
    /// Copy a model into a pix2paint file (in the background), with `info` replacing its own.
    CopyModel {
        /// The model file.
        src: PathBuf,
        /// Where to write it.
        dest: PathBuf,
        /// Its edited description.
        info: Option<ModelInfo>,
        /// Whether the Training panel asked (else the File menu or the model window).
        for_training: bool,
    },
    /// Read a training dataset (in the background).
    OpenDataset {
        /// Its folder.
        dir: PathBuf,
        /// Its layout.
        layout: Layout,
        /// Which side is the input.
        direction: Direction,
        /// Masks for the photos layout.
        masks: Option<PathBuf>,
    },
    /// Start a training run on its own thread.
    Train {
        /// The run.
        job: Box<crate::train::Job>,
        /// Where it trains.
        device: burn::tensor::Device,
    },
    /// Close the window.
    Close,
}

/// What came of an effect.
pub enum Outcome {
    /// The user chose a path: carry on with this command.
    Command(Command),
    /// Something went wrong: show it.
    Problem(String),
    /// A sketch was read: its lines, and its hint layer if one was beside it.
    SketchRead {
        /// The line layer.
        lines: GrayImage,
        /// The hint layer.
        hints: Option<RgbaImage>,
        /// Why the hint layer beside it could not be read, if it could not.
        hints_problem: Option<crate::hints::HintFileError>,
    },
    /// A photo became lines.
    PhotoRead(GrayImage),
    /// The sketch was written.
    SketchSaved,
    /// A model was copied (the message says where).
    ModelCopied {
        /// "saved PATH".
        message: String,
        /// Whether the Training panel asked.
        for_training: bool,
    },
    /// A dataset was read, with a few of its pairs side by side.
    Dataset(Box<Dataset>, Vec<RgbImage>),
    /// The dataset could not be read.
    DatasetFailed(String),
    /// A training run started.
    Training(Box<crate::train::TrainerThread>),
    /// A model file could not be opened (it is no longer reopened at start).
    ModelUnreadable(PathBuf),
}

/// Performs effects; holds the background jobs until they finish.
#[derive(Default)]
pub struct Effects {
    jobs: Vec<Receiver<Outcome>>,
}

impl Effects {
    /// Perform `effect`; its outcome, when it is known at once.
    pub fn perform(
        &mut self,
        ctx: &egui::Context,
        settings: &Settings,
        effect: Effect,
    ) -> Option<Outcome> {
        match effect {
            Effect::Ask(d) => d.ask(settings).map(Outcome::Command),
            Effect::ReadSketch(path) => Some(read_sketch(&path)),
            Effect::ReadPhoto { path, side } => Some(match read_image(&path) {
                Ok(img) => {
                    // Extract at the model's resolution, where the default settings were tuned.
                    let rgb = crate::imaging::to_rgb(&img);
                    let rgb = image::imageops::resize(
                        &rgb,
                        side,
                        side,
                        image::imageops::FilterType::Triangle,
                    );
                    let config = crate::lines::LineConfig::default();
                    Outcome::PhotoRead(crate::lines::extract_lines(&rgb, None, &config))
                }
                Err(e) => Outcome::Problem(e.to_string()),
            }),
            Effect::WriteSketch {
                path,
                sketch,
                hints,
            } => {
                let saved = crate::files::save_image(&sketch, &path).and_then(|()| match &hints {
                    Some(h) => crate::files::save_rgba(h, &crate::hints::layer_path_for(&path)),
                    None => Ok(()),
                });
                Some(match saved {
                    Ok(()) => Outcome::SketchSaved,
                    Err(e) => Outcome::Problem(e.to_string()),
                })
            }
            Effect::WriteResult { path, image } => crate::files::save_image(&image, &path)
                .err()
                .map(|e| Outcome::Problem(e.to_string())),
            Effect::Copy(image) => {
                let (w, h) = image.dimensions();
                ctx.copy_image(egui::ColorImage::from_rgb(
                    [w as usize, h as usize],
                    image.as_raw(),
                ));
                None
            }
            Effect::CopyModel {
                src,
                dest,
                info,
                for_training,
            } => {
                let replace = |i: &mut ModelInfo| {
                    if let Some(info) = info {
                        *i = info;
                    }
                };
                let precision = crate::weights::Precision::Full;
                self.spawn(ctx, move || {
                    match crate::weights::copy_model(&src, &dest, precision, replace) {
                        Ok(()) => Outcome::ModelCopied {
                            message: format!("saved {}", dest.display()),
                            for_training,
                        },
                        Err(e) => Outcome::Problem(e.to_string()),
                    }
                });
                None
            }
            Effect::OpenDataset {
                dir,
                layout,
                direction,
                masks,
            } => {
                self.spawn(ctx, move || {
                    match Dataset::open(&dir, layout, direction, masks) {
                        Ok(d) => {
                            let previews = (0..d.len().min(4))
                                .filter_map(|i| d.load(i).ok())
                                .map(|ex| crate::tiles::row(&[&ex.sketch, &ex.photo]))
                                .collect();
                            Outcome::Dataset(Box::new(d), previews)
                        }
                        Err(e) => Outcome::DatasetFailed(e.to_string()),
                    }
                });
                None
            }
            Effect::Train { job, device } => {
                let notify = ctx.clone();
                let thread = crate::train::TrainerThread::spawn(*job, device, move || {
                    notify.request_repaint()
                });
                Some(Outcome::Training(Box::new(thread)))
            }
            Effect::Close => {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                None
            }
        }
    }

    /// The outcomes of background jobs that finished since the last call.
    pub fn finished(&mut self) -> Vec<Outcome> {
        let mut out = Vec::new();
        self.jobs.retain(|rx| match rx.try_recv() {
            Ok(o) => {
                out.push(o);
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
        });
        out
    }

    fn spawn(&mut self, ctx: &egui::Context, f: impl FnOnce() -> Outcome + Send + 'static) {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(f());
            ctx.request_repaint();
        });
        self.jobs.push(rx);
    }
}

/// A sketch file's lines, and the hint layer saved beside it (`NAME.hints.png`) if any.
fn read_sketch(path: &Path) -> Outcome {
    let img = match read_image(path) {
        Ok(img) => img,
        Err(e) => return Outcome::Problem(e.to_string()),
    };
    let lines = lines_from_rgb(&to_sketch(&img));
    let (w, h) = lines.dimensions();
    let hints_path = crate::hints::layer_path_for(path);
    let (hints, hints_problem) = if hints_path.is_file() {
        match crate::hints::read_hint_layer(&hints_path, w, h) {
            Ok(layer) => (Some(layer), None),
            // The sketch opens anyway; the problem says what is missing.
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    Outcome::SketchRead {
        lines,
        hints,
        hints_problem,
    }
}

//! The native file and folder dialogs. A dialog is an effect: once the user has chosen, it
//! becomes the command that acts on the path (so tests and scripts send the path commands
//! without a dialog).

use super::command::{Command, FileCommand, TrainCommand};
use super::settings::Settings;
use std::path::PathBuf;

/// A question for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// A sketch to open.
    OpenSketch,
    /// A photo to turn into lines.
    OpenPhoto,
    /// Where to save the sketch.
    SaveSketch,
    /// Where to save the result.
    SaveResult,
    /// A model to open.
    OpenModel,
    /// Where to save the model in use (suggesting its name).
    SaveModelAs(String),
    /// The training dataset folder.
    DataFolder,
    /// The masks folder.
    MasksFolder,
    /// Where to save the newest trained model.
    SaveTrained,
}

impl Dialog {
    /// Ask; the command to apply with the chosen path, or `None` when the user cancels.
    pub fn ask(&self, settings: &Settings) -> Option<Command> {
        let file = |c: fn(PathBuf) -> FileCommand| move |p| Command::File(c(p));
        match self {
            Dialog::OpenSketch => image_dialog(settings)
                .pick_file()
                .map(file(FileCommand::OpenSketch)),
            Dialog::OpenPhoto => image_dialog(settings)
                .pick_file()
                .map(file(FileCommand::OpenPhoto)),
            Dialog::SaveSketch => image_dialog(settings)
                .set_file_name("sketch.png")
                .save_file()
                .map(file(FileCommand::SaveSketch)),
            Dialog::SaveResult => image_dialog(settings)
                .set_file_name("painted.png")
                .save_file()
                .map(file(FileCommand::SaveResult)),
            Dialog::OpenModel => {
                let mut d = rfd::FileDialog::new()
                    .add_filter("Models", &crate::files::MODEL_EXTENSIONS)
                    .add_filter("pix2paint model", &["safetensors"])
                    .add_filter("PyTorch pix2pix generator", &["pth", "pt"])
                    .add_filter("pix2pix web demo model", &["pict"]);
                if let Some(dir) = &settings.last_model_dir {
                    d = d.set_directory(dir);
                }
                d.pick_file().map(file(FileCommand::OpenModel))
            }
            Dialog::SaveModelAs(name) => {
                model_dialog(&format!("{name}.safetensors")).map(file(FileCommand::SaveModelAs))
            }
            Dialog::DataFolder => rfd::FileDialog::new()
                .pick_folder()
                .map(|d| Command::Train(TrainCommand::OpenData(d))),
            Dialog::MasksFolder => rfd::FileDialog::new()
                .pick_folder()
                .map(|d| Command::Train(TrainCommand::SetMasks(Some(d)))),
            Dialog::SaveTrained => model_dialog("my-model.safetensors")
                .map(|p| Command::Train(TrainCommand::SaveTo(p))),
        }
    }
}

/// A dialog over images, opening where the last image was.
fn image_dialog(settings: &Settings) -> rfd::FileDialog {
    let mut d = rfd::FileDialog::new().add_filter("Images", &crate::files::IMAGE_EXTENSIONS);
    if let Some(dir) = &settings.last_image_dir {
        d = d.set_directory(dir);
    }
    d
}

/// Where to save a pix2paint model, suggesting `name`.
fn model_dialog(name: &str) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("pix2paint model", &["safetensors"])
        .set_file_name(name)
        .save_file()
}

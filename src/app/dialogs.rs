//! The file and folder dialogs: each dialog command becomes, once the user has chosen, the
//! command that acts on the path (so effects stay where the commands are carried out, and tests
//! and scripts can send the path commands without a dialog).

use super::*;

impl PaintApp {
    /// Show the dialog `command` asks for; the command to apply with the chosen path, or
    /// `None` when the user cancels, there is nothing to save, or `command` is no dialog.
    pub(super) fn ask_file(&self, command: &FileCommand) -> Option<FileCommand> {
        match command {
            FileCommand::OpenSketchDialog => {
                self.image_dialog().pick_file().map(FileCommand::OpenSketch)
            }
            FileCommand::OpenPhotoDialog => {
                self.image_dialog().pick_file().map(FileCommand::OpenPhoto)
            }
            FileCommand::SaveSketchDialog => self
                .image_dialog()
                .set_file_name("sketch.png")
                .save_file()
                .map(FileCommand::SaveSketch),
            FileCommand::SaveResultDialog => {
                if self.result.is_none() && self.gpu_result.is_none() {
                    return None; // nothing painted yet
                }
                self.image_dialog()
                    .set_file_name("painted.png")
                    .save_file()
                    .map(FileCommand::SaveResult)
            }
            FileCommand::OpenModelDialog => {
                let mut d = rfd::FileDialog::new()
                    .add_filter("Models", &MODEL_EXTENSIONS)
                    .add_filter("pix2paint model", &["safetensors"])
                    .add_filter("PyTorch pix2pix generator", &["pth", "pt"])
                    .add_filter("pix2pix web demo model", &["pict"]);
                if let Some(dir) = &self.settings.last_model_dir {
                    d = d.set_directory(dir);
                }
                d.pick_file().map(FileCommand::OpenModel)
            }
            FileCommand::SaveModelAsDialog => {
                self.model_path.as_ref()?;
                let name = &self.model.as_ref()?.name;
                model_dialog(&format!("{name}.safetensors")).map(FileCommand::SaveModelAs)
            }
            _ => None,
        }
    }

    /// The training panel's dialogs, as [`Self::ask_file`].
    pub(super) fn ask_train(&self, command: &TrainCommand) -> Option<TrainCommand> {
        match command {
            TrainCommand::PickData => rfd::FileDialog::new()
                .pick_folder()
                .map(TrainCommand::OpenData),
            TrainCommand::PickMasks => rfd::FileDialog::new()
                .pick_folder()
                .map(|dir| TrainCommand::SetMasks(Some(dir))),
            TrainCommand::SaveAs => {
                self.training.latest.as_ref()?;
                model_dialog("my-model.safetensors").map(TrainCommand::SaveTo)
            }
            _ => None,
        }
    }

    /// A dialog over images, opening where the last image was.
    fn image_dialog(&self) -> rfd::FileDialog {
        let mut d = rfd::FileDialog::new().add_filter("Images", &crate::files::IMAGE_EXTENSIONS);
        if let Some(dir) = &self.settings.last_image_dir {
            d = d.set_directory(dir);
        }
        d
    }
}

/// Where to save a pix2paint model, suggesting `name`.
fn model_dialog(name: &str) -> Option<std::path::PathBuf> {
    rfd::FileDialog::new()
        .add_filter("pix2paint model", &["safetensors"])
        .set_file_name(name)
        .save_file()
}

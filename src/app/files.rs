//! The File menu's and the model window's commands: which files to read and write (performed
//! as effects), and the model in use opened and described.

use super::command::FileCommand;
use super::dialogs::Dialog;
use super::document::Document;
use super::effects::Effect;
use super::live::Live;
use super::settings::Settings;
use super::training::TrainingPanel;
use super::windows::Windows;
use std::path::Path;

/// Carry out a file or model command: the effects it needs (dialogs, reads, writes).
pub(super) fn effects(
    command: FileCommand,
    doc: &mut Document,
    settings: &mut Settings,
    live: &mut Live,
    training: &mut TrainingPanel,
    windows: &mut Windows,
) -> Vec<Effect> {
    let resolution = live.resolution();
    let effect = match command {
        FileCommand::OpenSketchDialog => Some(Effect::Ask(Dialog::OpenSketch)),
        FileCommand::OpenPhotoDialog => Some(Effect::Ask(Dialog::OpenPhoto)),
        FileCommand::SaveSketchDialog => Some(Effect::Ask(Dialog::SaveSketch)),
        FileCommand::SaveResultDialog => {
            live.has_result().then_some(Effect::Ask(Dialog::SaveResult))
        }
        FileCommand::OpenModelDialog => Some(Effect::Ask(Dialog::OpenModel)),
        FileCommand::SaveModelAsDialog => live
            .model_to_save()
            .map(|(_, info)| Effect::Ask(Dialog::SaveModelAs(info.name))),
        FileCommand::OpenSketch(path) => {
            settings.remember_image_dir(&path);
            Some(Effect::ReadSketch(path))
        }
        FileCommand::OpenExample(n) => {
            match crate::assets::example(n) {
                Some(Ok(sketch)) => {
                    // As a sketch file opens (without a hint layer to look for).
                    let img = image::DynamicImage::ImageLuma8(sketch);
                    let lines = crate::imaging::lines_from_rgb(&crate::imaging::to_sketch(&img));
                    doc.edit(|c| c.set_background(lines));
                }
                Some(Err(e)) => windows.report(format!("the example sketch is damaged: {e}")),
                None => {}
            }
            None
        }
        FileCommand::OpenPhoto(path) => {
            settings.remember_image_dir(&path);
            Some(Effect::ReadPhoto {
                path,
                side: resolution,
            })
        }
        FileCommand::SaveSketch(path) => {
            settings.remember_image_dir(&path);
            let canvas = doc.canvas();
            Some(Effect::WriteSketch {
                path,
                sketch: canvas.rasterize(2 * resolution),
                hints: canvas
                    .has_hints()
                    .then(|| canvas.rasterize_hints(2 * resolution)),
            })
        }
        FileCommand::SaveResult(path) => {
            settings.remember_image_dir(&path);
            live.result_image()
                .map(|image| Effect::WriteResult { path, image })
        }
        FileCommand::CopyResult => live.result_image().map(Effect::Copy),
        FileCommand::OpenModel(path) => {
            settings.last_model_dir = path.parent().map(Path::to_owned);
            settings.model_path = Some(path.clone());
            live.load_model(path);
            None
        }
        FileCommand::SetModelDirection(d) => {
            if live.model().is_some() {
                live.set_direction(d);
                // Fine-tuning data is read the way the model runs.
                training.follow_direction(d);
            }
            None
        }
        FileCommand::SaveModelAs(dest) => {
            live.model_to_save().map(|(src, info)| Effect::CopyModel {
                src,
                dest,
                info: Some(info),
                for_training: false,
            })
        }
    };
    effect.into_iter().collect()
}

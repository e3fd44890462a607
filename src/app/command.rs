//! What panels ask for. Panels only draw state and return commands; [`super::PaintApp::apply`]
//! hands each to the part that owns what it changes. Commands are grouped by concern: canvas
//! edits and view toggles here, files and models in [`FileCommand`], training in
//! [`TrainCommand`]. A command that needs a file or folder from the user comes in two: the
//! dialog (`…Dialog`, `Pick…`, `SaveAs`), which [`super::dialogs`] turns into the command that
//! acts on the path.

use crate::canvas::{Point, Tool};
use std::path::PathBuf;

/// A user request from any panel or shortcut.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Pointer went down on the canvas.
    BeginStroke(Point),
    /// Pointer moved while down.
    ExtendStroke(Point),
    /// Pointer released.
    EndStroke,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Clear the canvas (undoable).
    Clear,
    /// Choose pen, eraser (ink or hints) or the Colour tool.
    SetTool(Tool),
    /// Set the Colour tool's colour (sRGB).
    SetHintColour([u8; 3]),
    /// Remove every colour hint (undoable).
    ClearHints,
    /// Take the Colour tool's colour from the result at this point (0–1 coordinates).
    PickColour(Point),
    /// Set the line width in pixels at the model's resolution.
    SetWidth(f32),
    /// Paint a variation with this dropout seed.
    Variation(u64),
    /// Go back to the plain (dropout-free) result.
    PlainResult,
    /// Show or hide what the model says about itself.
    ToggleModelInfo,
    /// Toggle the latency overlay.
    ToggleOverlay,
    /// Paint at fp32 (`true`) or with 8-bit weights where the CPU allows (`false`).
    SetPrecise(bool),
    /// Quit now, unsaved changes and all (the autosave keeps them).
    Quit,
    /// Open or save sketches, photos, results and models.
    File(FileCommand),
    /// Drive the training panel and the trainer.
    Train(TrainCommand),
}

/// Reading and writing the user's files, and the model in use.
#[derive(Debug, Clone, PartialEq)]
pub enum FileCommand {
    /// Ask for a sketch file to open (dialog).
    OpenSketchDialog,
    /// Open this sketch file.
    OpenSketch(PathBuf),
    /// Open example sketch `n` of [`crate::assets::EXAMPLES`] (undoable).
    OpenExample(usize),
    /// Ask for a photo to turn into lines (dialog).
    OpenPhotoDialog,
    /// Turn this photo into a line drawing on the canvas.
    OpenPhoto(PathBuf),
    /// Ask where to save the sketch (dialog).
    SaveSketchDialog,
    /// Save the sketch here (and its colour hints beside it as `NAME.hints.png`).
    SaveSketch(PathBuf),
    /// Ask where to save the result (dialog).
    SaveResultDialog,
    /// Save the result here.
    SaveResult(PathBuf),
    /// Copy the result to the clipboard.
    CopyResult,
    /// Ask for a model file (dialog).
    OpenModelDialog,
    /// Load this model file.
    OpenModel(PathBuf),
    /// Record which side of a pair the model takes as input.
    SetModelDirection(crate::weights::Direction),
    /// Ask where to save the model in use (dialog).
    SaveModelAsDialog,
    /// Save the model in use, with its edited description, here as a pix2paint file.
    SaveModelAs(PathBuf),
}

/// The training panel's requests.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainCommand {
    /// Show or hide the training panel.
    TogglePanel,
    /// Pick the training dataset folder (dialog).
    PickData,
    /// Open this folder as the training dataset.
    OpenData(PathBuf),
    /// Re-open the dataset after a layout or direction change.
    ReloadData,
    /// Start training.
    Start,
    /// Resume the unfinished run on the opened dataset.
    Continue,
    /// Pick the masks folder for the photos layout.
    PickMasks,
    /// Use this masks folder (none: no masks).
    SetMasks(Option<PathBuf>),
    /// Pause training.
    Pause,
    /// Resume training.
    Resume,
    /// Stop training (the model so far is written).
    Stop,
    /// Ask where to save the newest trained model (dialog).
    SaveAs,
    /// Save the newest trained model here, without its training state.
    SaveTo(PathBuf),
}

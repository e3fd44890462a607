//! The toolbar: files, tools (pen, eraser, colour hints), width, undo/redo, clear, variations.
//! Returns commands.

use super::command::{Command, FileCommand, TrainCommand};
use crate::canvas::Tool;
use egui::Ui;

/// What the toolbar needs to know to draw itself.
pub struct ToolbarState {
    /// Current tool.
    pub tool: Tool,
    /// Current width in model pixels.
    pub width: f32,
    /// Whether undo / redo are possible.
    pub can_undo: bool,
    /// Whether redo is possible.
    pub can_redo: bool,
    /// Whether there is a result to save or copy.
    pub has_result: bool,
    /// The variation seed field.
    pub seed: u64,
    /// The variation being shown, if any.
    pub variation: Option<u64>,
    /// Whether the training panel is shown.
    pub training_open: bool,
    /// The Colour tool's colour.
    pub hint_colour: [u8; 3],
    /// Whether the open model takes colour hints (`None`: no model).
    pub takes_hints: Option<bool>,
    /// Whether the sketch has colour hints.
    pub has_hints: bool,
}

/// Shown on the Colour tool when the open model cannot use hints.
pub const NO_HINTS_TEXT: &str = "this model takes no colour hints: dabs are kept, not used";

/// Draw the toolbar; `seed` is edited in place (it is a field, not an action).
pub fn show(ui: &mut Ui, s: &ToolbarState, seed: &mut u64) -> Vec<Command> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open sketch…  (Ctrl+O)").clicked() {
                out.push(Command::File(FileCommand::OpenSketchDialog));
            }
            ui.menu_button("Open example", |ui| {
                for (n, (name, _)) in crate::assets::EXAMPLES.iter().enumerate() {
                    if ui.button(*name).clicked() {
                        out.push(Command::File(FileCommand::OpenExample(n)));
                    }
                }
            });
            if ui.button("Open photo as lines…").clicked() {
                out.push(Command::File(FileCommand::OpenPhotoDialog));
            }
            if ui.button("Save sketch…  (Ctrl+S)").clicked() {
                out.push(Command::File(FileCommand::SaveSketchDialog));
            }
            ui.separator();
            if ui
                .add_enabled(s.has_result, egui::Button::new("Save result…"))
                .clicked()
            {
                out.push(Command::File(FileCommand::SaveResultDialog));
            }
            if ui
                .add_enabled(s.has_result, egui::Button::new("Copy result"))
                .clicked()
            {
                out.push(Command::File(FileCommand::CopyResult));
            }
            ui.separator();
            if ui.button("Open model…").clicked() {
                out.push(Command::File(FileCommand::OpenModelDialog));
            }
            if ui.button("Model info…").clicked() {
                out.push(Command::ToggleModelInfo);
            }
        });
        ui.separator();
        if ui
            .selectable_label(s.tool == Tool::Pen, "Pen (B)")
            .clicked()
        {
            out.push(Command::SetTool(Tool::Pen));
        }
        let erasing = matches!(s.tool, Tool::Eraser | Tool::HintEraser);
        if ui.selectable_label(erasing, "Eraser (E)").clicked() {
            out.push(Command::SetTool(Tool::Eraser));
        }
        if erasing {
            let mut hints_only = s.tool == Tool::HintEraser;
            if ui
                .checkbox(&mut hints_only, "hints")
                .on_hover_text("Erase colour hints only, leaving the lines (Shift+E)")
                .changed()
            {
                out.push(Command::SetTool(if hints_only {
                    Tool::HintEraser
                } else {
                    Tool::Eraser
                }));
            }
        }
        if ui
            .selectable_label(s.tool == Tool::Colour, "Colour (C)")
            .on_hover_text(
                "Dab colour on the sketch and the painting follows it. Alt+click the result to \
                 take a colour from it.",
            )
            .clicked()
        {
            out.push(Command::SetTool(Tool::Colour));
        }
        let mut rgb = s.hint_colour;
        if ui
            .color_edit_button_srgb(&mut rgb)
            .on_hover_text("Colour of the dabs")
            .changed()
        {
            out.push(Command::SetHintColour(rgb));
        }
        if s.tool == Tool::Colour && s.takes_hints == Some(false) {
            ui.colored_label(ui.visuals().warn_fg_color, NO_HINTS_TEXT);
        }
        let mut width = s.width;
        let slider = egui::Slider::new(&mut width, 1.0..=40.0)
            .text("width ([ ])")
            .logarithmic(true);
        if ui.add(slider).changed() {
            out.push(Command::SetWidth(width));
        }
        ui.separator();
        if ui
            .add_enabled(s.can_undo, egui::Button::new("Undo"))
            .clicked()
        {
            out.push(Command::Undo);
        }
        if ui
            .add_enabled(s.can_redo, egui::Button::new("Redo"))
            .clicked()
        {
            out.push(Command::Redo);
        }
        if ui.button("Clear").clicked() {
            out.push(Command::Clear);
        }
        if ui
            .add_enabled(s.has_hints, egui::Button::new("Clear hints"))
            .clicked()
        {
            out.push(Command::ClearHints);
        }
        ui.separator();
        if ui.selectable_label(s.training_open, "Training").clicked() {
            out.push(Command::Train(TrainCommand::TogglePanel));
        }
        ui.separator();
        let label = ui.label("seed");
        ui.add(egui::DragValue::new(seed).range(0..=u32::MAX as u64))
            .labelled_by(label.id);
        if ui
            .button("Variation")
            .on_hover_text("Paint the sketch again with dropout noise from this seed")
            .clicked()
        {
            out.push(Command::Variation(*seed));
        }
        if s.variation.is_some() && ui.button("Plain result").clicked() {
            out.push(Command::PlainResult);
        }
    });
    out
}

//! The toolbar: files, tools, width, undo/redo, clear, variations. Returns commands.

use super::command::Command;
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
}

/// Draw the toolbar; `seed` is edited in place (it is a field, not an action).
pub fn show(ui: &mut Ui, s: &ToolbarState, seed: &mut u64) -> Vec<Command> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open sketch…  (Ctrl+O)").clicked() {
                out.push(Command::OpenSketchDialog);
            }
            if ui.button("Open photo as lines…").clicked() {
                out.push(Command::OpenPhotoDialog);
            }
            if ui.button("Save sketch…  (Ctrl+S)").clicked() {
                out.push(Command::SaveSketchDialog);
            }
            ui.separator();
            if ui
                .add_enabled(s.has_result, egui::Button::new("Save result…"))
                .clicked()
            {
                out.push(Command::SaveResultDialog);
            }
            if ui
                .add_enabled(s.has_result, egui::Button::new("Copy result"))
                .clicked()
            {
                out.push(Command::CopyResult);
            }
            ui.separator();
            if ui.button("Open model…").clicked() {
                out.push(Command::OpenModelDialog);
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
        if ui
            .selectable_label(s.tool == Tool::Eraser, "Eraser (E)")
            .clicked()
        {
            out.push(Command::SetTool(Tool::Eraser));
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
        ui.separator();
        if ui.selectable_label(s.training_open, "Training").clicked() {
            out.push(Command::ToggleTraining);
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

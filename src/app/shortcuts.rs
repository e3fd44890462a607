//! Keyboard shortcuts and dropped files, turned into [`Command`]s.

use super::command::{Command, FileCommand};
use crate::canvas::Tool;

/// Read keyboard shortcuts and dropped files into commands; `width` is the tool's line width
/// (the bracket keys change it by a quarter).
pub(super) fn input_commands(ctx: &egui::Context, width: f32) -> Vec<Command> {
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
            out.push(Command::File(FileCommand::OpenSketchDialog));
        }
        if i.consume_shortcut(&S::new(M::COMMAND, Key::S)) {
            out.push(Command::File(FileCommand::SaveSketchDialog));
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
            out.push(if crate::files::is_model(&path) {
                Command::File(FileCommand::OpenModel(path))
            } else {
                Command::File(FileCommand::OpenSketch(path))
            });
        }
    });
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

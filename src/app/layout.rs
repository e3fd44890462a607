//! The window's layout: toolbar, status bar, Training panel, and the canvas beside the result.

use super::{Command, PaintApp, toolbar};

impl PaintApp {
    /// The toolbar, status bar, Training panel, canvas and result; what the user asked for.
    pub(super) fn panels(&mut self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        let canvas = self.document.canvas();
        let toolbar_state = toolbar::ToolbarState {
            tool: self.document.tool(),
            width: self.width(),
            can_undo: canvas.can_undo(),
            can_redo: canvas.can_redo(),
            has_result: self.live.has_result(),
            seed: self.seed,
            variation: self.live.variation(),
            training_open: self.training.is_open(),
            hint_colour: self.settings.hint_colour,
            takes_hints: self.live.takes_hints(),
            has_hints: canvas.has_hints(),
        };
        let seed = &mut self.seed;
        egui::Panel::top("toolbar").show(ui, |ui| {
            commands.extend(toolbar::show(ui, &toolbar_state, seed));
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            commands.extend(self.windows.status_bar(ui, &self.live));
        });
        if self.training.is_open() {
            egui::Panel::right("training").show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    commands.extend(self.training.show(ui));
                });
            });
        }
        // No fill of its own: the window is cleared to the panel colour (`clear_color`), and
        // a software renderer would otherwise shade the whole window once more every frame.
        let central = egui::Frame::central_panel(ui.style()).fill(egui::Color32::TRANSPARENT);
        egui::CentralPanel::default().frame(central).show(ui, |ui| {
            let avail = ui.available_size();
            let side = ((avail.x - 24.0) / 2.0).min(avail.y - 8.0).max(64.0);
            ui.horizontal(|ui| {
                commands.extend(self.canvas_view.show(ui, canvas, side));
                ui.add_space(16.0);
                let busy = self.live.requests.busy();
                let message = self.live.message(canvas);
                commands.extend(self.live.view.show(ui, side, busy, message));
            });
        });
        commands
    }
}

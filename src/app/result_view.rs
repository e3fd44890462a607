//! The result panel: the painted image, or why there is none.

use super::command::Command;
use crate::canvas::Point;
use egui::{Color32, Rect, TextureHandle, Ui, Vec2};
use image::RgbImage;

/// The result texture.
#[derive(Default)]
pub struct ResultView {
    texture: Option<TextureHandle>,
    /// A texture the GPU wrote directly (shown instead of `texture` when set).
    native: Option<egui::TextureId>,
}

impl ResultView {
    /// Upload a new result.
    pub fn set(&mut self, ctx: &egui::Context, image: &RgbImage) {
        super::texture::replace(&mut self.texture, ctx, "result", image);
        self.native = None;
    }

    /// Show a texture registered with the renderer (the GPU display path).
    pub fn set_native(&mut self, id: egui::TextureId) {
        self.native = Some(id);
    }

    /// Draw the result square; `message` replaces it when there is no model or an error.
    /// Alt+click on the result asks for its colour there (the Colour tool's eyedropper).
    pub fn show(&self, ui: &mut Ui, side: f32, busy: bool, message: Option<&str>) -> Vec<Command> {
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), egui::Sense::click());
        let mut out = Vec::new();
        if message.is_none()
            && response.clicked()
            && ui.input(|i| i.modifiers.alt)
            && let Some(pos) = response.interact_pointer_pos()
        {
            out.push(Command::PickColour(Point {
                x: (pos.x - rect.min.x) / rect.width(),
                y: (pos.y - rect.min.y) / rect.height(),
                pressure: 1.0,
            }));
        }
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Result"));
        let painter = ui.painter();
        painter.rect_filled(rect, 0.0, Color32::from_gray(40));
        if message.is_none()
            && let Some(id) = self.native.or(self.texture.as_ref().map(|t| t.id()))
        {
            painter.image(
                id,
                rect,
                Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        if let Some(msg) = message {
            let inner = rect.shrink(16.0);
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(inner));
            child.vertical_centered(|ui| {
                ui.add_space(inner.height() * 0.35);
                ui.label(egui::RichText::new(msg).color(Color32::WHITE).size(15.0));
            });
        }
        if busy {
            let spot =
                Rect::from_min_size(rect.right_top() + egui::vec2(-28.0, 6.0), Vec2::splat(22.0));
            ui.put(spot, egui::Spinner::new());
        }
        out
    }
}

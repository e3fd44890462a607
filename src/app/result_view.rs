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
        super::texture::replace(
            &mut self.texture,
            ctx,
            "result",
            image,
            egui::TextureOptions::LINEAR,
        );
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
        let image = self.native.or(self.texture.as_ref().map(|t| t.id()));
        match image.filter(|_| message.is_none()) {
            // The painting is opaque: nothing under it (every layer costs a software renderer
            // a pass over the square, in every frame).
            Some(id) => painter.image(
                id,
                rect,
                Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                Color32::WHITE,
            ),
            None => painter.rect_filled(rect, 0.0, Color32::from_gray(40)),
        };
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
            busy_mark(ui, spot);
        }
        out
    }
}

/// How often the busy mark moves. egui's `Spinner` asks for a repaint every frame, so the
/// whole window was redrawn as fast as the renderer goes for as long as the model painted;
/// where the window is drawn on the CPU (llvmpipe: ~30 ms a frame) that is a core taken from
/// the model once the pointer rests. (While a stroke is drawn its own events drive the frames:
/// there the latency bench measured no difference.)
const BUSY_STEP: std::time::Duration = std::time::Duration::from_millis(250);

/// A spinner that advances one step every [`BUSY_STEP`]: a three-quarter arc turning
/// around `spot`.
fn busy_mark(ui: &Ui, spot: Rect) {
    let step = BUSY_STEP.as_secs_f64();
    let t = ui.input(|i| i.time);
    let phase = (t / step).floor();
    let start = phase as f32 * std::f32::consts::FRAC_PI_4;
    let (centre, radius) = (spot.center(), spot.width() * 0.4);
    let points: Vec<egui::Pos2> = (0..=12)
        .map(|i| {
            let a = start + i as f32 / 12.0 * std::f32::consts::PI * 1.5;
            centre + radius * Vec2::angled(a)
        })
        .collect();
    let stroke = egui::Stroke::new(3.0, ui.visuals().strong_text_color());
    ui.painter().add(egui::Shape::line(points, stroke));
    let next = (phase + 1.0) * step - t;
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs_f64(next.max(0.01)));
}

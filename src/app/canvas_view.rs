//! The sketch panel: shows the canvas crisply at the on-screen size and turns pointer input
//! into stroke commands.

use super::command::Command;
use crate::canvas::{Canvas, Point};
use egui::{Color32, Rect, Sense, TextureHandle, Ui, Vec2};

/// Cached display texture of the canvas (re-rasterised when the canvas or its size changes),
/// and whether the pen is down on it.
#[derive(Default)]
pub struct CanvasView {
    texture: Option<TextureHandle>,
    drawn: Option<(u64, u32)>,
    pen_down: bool,
}

impl CanvasView {
    /// Draw the canvas into a `side`×`side` square and return the commands the pointer made.
    pub fn show(&mut self, ui: &mut Ui, canvas: &Canvas, side: f32) -> Vec<Command> {
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::click_and_drag());
        // Rasterise at physical pixels so lines stay crisp at any window size.
        let px = (side * ui.pixels_per_point()).round().clamp(16.0, 4096.0) as u32;
        let key = (canvas.revision(), px);
        if self.drawn != Some(key) || self.texture.is_none() {
            let img = canvas.rasterize_display(px);
            // Drawn at its pixel size: nearest sampling shows the same pixels.
            super::texture::replace(
                &mut self.texture,
                ui.ctx(),
                "sketch",
                &img,
                egui::TextureOptions::NEAREST,
            );
            self.drawn = Some(key);
        }
        if let Some(t) = &self.texture {
            ui.painter().image(
                t.id(),
                rect,
                Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        ui.painter()
            .rect_stroke(rect, 0.0, (1.0, Color32::GRAY), egui::StrokeKind::Outside);
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Sketch canvas"));
        response.on_hover_cursor(egui::CursorIcon::Crosshair);
        self.pointer_commands(ui, rect)
    }

    /// Map this frame's pointer events on `rect` to stroke commands, with pen pressure where a
    /// touch or stylus device reports it.
    ///
    /// The raw events are followed in order rather than egui's per-frame drag state: when the
    /// model keeps the CPU busy a frame can hold a whole quick stroke (press, moves, release),
    /// a corner, or a release followed by moves with the button up, and each must draw what
    /// the hand did.
    fn pointer_commands(&mut self, ui: &Ui, rect: Rect) -> Vec<Command> {
        let layer = ui.layer_id();
        let ctx = ui.ctx().clone();
        let to_canvas = |pos: egui::Pos2, pressure: Option<f32>| Point {
            x: (pos.x - rect.min.x) / rect.width(),
            y: (pos.y - rect.min.y) / rect.height(),
            pressure: pressure.unwrap_or(1.0),
        };
        let mut commands = Vec::new();
        let mut pressure = None;
        // Copied out: looking up layers while holding the input lock could deadlock.
        let events = ui.input(|i| i.events.clone());
        for e in &events {
            match e {
                egui::Event::Touch { force, .. } => pressure = *force,
                egui::Event::PointerButton {
                    pos,
                    button: egui::PointerButton::Primary,
                    pressed: true,
                    ..
                } if !self.pen_down
                    && rect.contains(*pos)
                    && ctx.layer_id_at(*pos).is_none_or(|l| l == layer) =>
                {
                    // Only on the canvas itself, not through a menu or window above it.
                    self.pen_down = true;
                    commands.push(Command::BeginStroke(to_canvas(*pos, pressure)));
                }
                egui::Event::PointerMoved(pos) if self.pen_down => {
                    commands.push(Command::ExtendStroke(to_canvas(*pos, pressure)));
                }
                egui::Event::PointerButton {
                    pos,
                    button: egui::PointerButton::Primary,
                    pressed: false,
                    ..
                } if self.pen_down => {
                    self.pen_down = false;
                    commands.push(Command::ExtendStroke(to_canvas(*pos, pressure)));
                    commands.push(Command::EndStroke);
                }
                egui::Event::PointerGone | egui::Event::WindowFocused(false) if self.pen_down => {
                    // The button was let go where the window cannot see it.
                    self.pen_down = false;
                    commands.push(Command::EndStroke);
                }
                _ => {}
            }
        }
        commands
    }
}

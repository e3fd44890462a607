//! The sketch panel: shows the canvas crisply at the on-screen size and turns pointer input
//! into stroke commands.

use super::command::Command;
use crate::canvas::{Canvas, Point};
use egui::{Color32, ColorImage, Rect, Sense, TextureHandle, TextureOptions, Ui, Vec2};

/// Cached display texture of the canvas (re-rasterised when the canvas or its size changes).
#[derive(Default)]
pub struct CanvasView {
    texture: Option<TextureHandle>,
    drawn: Option<(u64, u32)>,
}

impl CanvasView {
    /// Draw the canvas into a `side`×`side` square and return the commands the pointer made.
    pub fn show(&mut self, ui: &mut Ui, canvas: &Canvas, side: f32) -> Vec<Command> {
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::click_and_drag());
        // Rasterise at physical pixels so lines stay crisp at any window size.
        let px = (side * ui.pixels_per_point()).round().clamp(16.0, 4096.0) as u32;
        let key = (canvas.revision(), px);
        if self.drawn != Some(key) || self.texture.is_none() {
            let img = canvas.rasterize(px);
            let color = ColorImage::from_rgb([px as usize, px as usize], img.as_raw());
            match &mut self.texture {
                Some(t) => t.set(color, TextureOptions::LINEAR),
                None => {
                    self.texture = Some(ui.ctx().load_texture(
                        "sketch",
                        color,
                        TextureOptions::LINEAR,
                    ))
                }
            }
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
        let response = response.on_hover_cursor(egui::CursorIcon::Crosshair);
        pointer_commands(ui, &response, rect)
    }
}

/// Map pointer activity on `rect` to stroke commands, with pen pressure where a touch or
/// stylus device reports it.
fn pointer_commands(ui: &Ui, response: &egui::Response, rect: Rect) -> Vec<Command> {
    let pressure = ui.input(|i| {
        i.events.iter().rev().find_map(|e| match e {
            egui::Event::Touch { force, .. } => *force,
            _ => None,
        })
    });
    let to_canvas = |pos: egui::Pos2| Point {
        x: (pos.x - rect.min.x) / rect.width(),
        y: (pos.y - rect.min.y) / rect.height(),
        pressure: pressure.unwrap_or(1.0),
    };
    // Every pointer move this frame while the button was down, not only the last: fast strokes
    // keep their shape. A slow frame can hold the press or the release too, so only the moves
    // after the press and before the release count.
    let (moves, released) = ui.input(|i| {
        let mut moves = Vec::new();
        for e in &i.events {
            match e {
                egui::Event::PointerMoved(p) => moves.push(*p),
                egui::Event::PointerButton { pressed: true, .. } => moves.clear(),
                egui::Event::PointerButton { pressed: false, .. } => return (moves, true),
                _ => {}
            }
        }
        (moves, false)
    });
    let extend = |commands: &mut Vec<Command>| {
        commands.extend(moves.iter().map(|&p| Command::ExtendStroke(to_canvas(p))));
    };
    let mut commands = Vec::new();
    if response.drag_started()
        && let Some(pos) = response.interact_pointer_pos()
    {
        // egui reports a drag once the pointer has moved a little: start where it was pressed.
        let origin = ui.input(|i| i.pointer.press_origin()).unwrap_or(pos);
        commands.push(Command::BeginStroke(to_canvas(origin)));
        extend(&mut commands);
        commands.push(Command::ExtendStroke(to_canvas(pos)));
    } else if response.dragged() {
        if moves.is_empty() && !released {
            if let Some(pos) = response.interact_pointer_pos() {
                commands.push(Command::ExtendStroke(to_canvas(pos)));
            }
        }
        extend(&mut commands);
    } else if response.drag_stopped() && released {
        // The frame that releases the button still carries the stroke's last moves; a stop
        // reported a frame later carries only moves made with the button up.
        extend(&mut commands);
    }
    if response.drag_stopped() {
        commands.push(Command::EndStroke);
    }
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        // A click is a dot.
        commands.push(Command::BeginStroke(to_canvas(pos)));
        commands.push(Command::EndStroke);
    }
    commands
}

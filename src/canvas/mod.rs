//! The sketch as data: strokes in 0–1 canvas coordinates over an optional background line
//! layer, a layer of colour hints (dabs of colour, see [`crate::hints`]) over it, with
//! unlimited undo/redo of whole edits and rasterisation at any resolution.
//! Pure state: no UI, no threads, so all of it is testable without a window.

use image::{GrayImage, RgbImage, RgbaImage};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

mod raster;

/// What a stroke does to the ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tool {
    /// Black ink.
    #[default]
    Pen,
    /// Removes ink, the background layer's included.
    Eraser,
    /// Dabs of colour on the hint layer (the stroke's `colour`).
    Colour,
    /// Removes colour hints, leaving the ink alone (the eraser's hint mode).
    HintEraser,
}

impl Tool {
    /// Whether the tool works on the hint layer rather than the ink.
    pub fn on_hints(self) -> bool {
        matches!(self, Tool::Colour | Tool::HintEraser)
    }
}

/// A point of a stroke: position in 0–1 canvas coordinates and pen pressure in 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal position, 0 = left edge, 1 = right edge.
    pub x: f32,
    /// Vertical position, 0 = top, 1 = bottom.
    pub y: f32,
    /// Pen pressure; 1 where the device reports none.
    pub pressure: f32,
}

/// One continuous stroke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    /// Pen or eraser.
    pub tool: Tool,
    /// Line width as a fraction of the canvas side (so it scales with the resolution).
    pub width: f32,
    /// The path.
    pub points: Vec<Point>,
    /// The hint colour of a [`Tool::Colour`] stroke (sRGB).
    #[serde(default)]
    pub colour: [u8; 3],
}

/// An undoable change.
#[derive(Debug, Clone)]
enum Edit {
    Stroke(Stroke),
    Clear {
        strokes: Vec<Stroke>,
        background: Option<Arc<GrayImage>>,
        hints: Hints,
    },
    Background {
        old: Option<Arc<GrayImage>>,
        old_strokes: Vec<Stroke>,
        old_hints: Hints,
    },
    ClearHints(Hints),
}

/// Edits that can be undone, newest first; an afternoon of drawing keeps a fixed history (the
/// sketch itself keeps every stroke).
pub const UNDO_DEPTH: usize = 500;

/// The hint layer: an opened hint image under the hint strokes drawn since.
#[derive(Debug, Clone, Default)]
struct Hints {
    background: Option<Arc<RgbaImage>>,
    strokes: Vec<Stroke>,
}

impl Hints {
    fn is_empty(&self) -> bool {
        self.background.is_none() && self.strokes.is_empty()
    }
}

/// The sketch being drawn.
#[derive(Debug, Clone, Default)]
pub struct Canvas {
    strokes: Vec<Stroke>,
    background: Option<Arc<GrayImage>>,
    hints: Hints,
    current: Option<Stroke>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    revision: u64,
    /// The background's ink resampled at the last size asked for: rasterising runs on every
    /// pointer move, the background only changes when an image is opened.
    background_ink: std::cell::RefCell<Option<BackgroundInk>>,
}

/// A background layer resampled to one size.
#[derive(Debug, Clone)]
struct BackgroundInk {
    source: Arc<GrayImage>,
    size: u32,
    ink: Vec<f32>,
}

/// What is saved to disk to restore a sketch (the autosave).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SavedStrokes {
    /// Finished strokes in drawing order.
    pub strokes: Vec<Stroke>,
    /// Finished hint strokes (colour dabs and hint erasures) in drawing order.
    #[serde(default)]
    pub hints: Vec<Stroke>,
}

impl Canvas {
    /// An empty canvas.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes whenever what would be rasterised changes (cheap "is it dirty" check).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Finished strokes, in drawing order.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }

    /// The stroke being drawn, if any.
    pub fn current(&self) -> Option<&Stroke> {
        self.current.as_ref()
    }

    /// The background line layer (255 = paper, 0 = ink), if an image was opened.
    pub fn background(&self) -> Option<&GrayImage> {
        self.background.as_deref()
    }

    /// Whether there is nothing to see (hints alone paint nothing: there is no sketch).
    pub fn is_blank(&self) -> bool {
        self.strokes.is_empty()
            && self.background.is_none()
            && self.current.as_ref().is_none_or(|s| s.tool.on_hints())
    }

    /// Whether the hint layer holds anything (it may still be all erased).
    pub fn has_hints(&self) -> bool {
        !self.hints.is_empty() || self.current.as_ref().is_some_and(|s| s.tool.on_hints())
    }

    /// Start a stroke at `p`. A stroke already in progress is finished first.
    pub fn begin(&mut self, tool: Tool, width: f32, p: Point) {
        self.begin_coloured(tool, width, [0, 0, 0], p);
    }

    /// Start a stroke at `p` with a hint colour (used by [`Tool::Colour`]).
    pub fn begin_coloured(&mut self, tool: Tool, width: f32, colour: [u8; 3], p: Point) {
        self.end();
        self.current = Some(Stroke {
            tool,
            width: width.clamp(1e-4, 0.5),
            points: vec![clamp_point(p)],
            colour,
        });
        self.revision += 1;
    }

    fn layer_of(&mut self, tool: Tool) -> &mut Vec<Stroke> {
        if tool.on_hints() {
            &mut self.hints.strokes
        } else {
            &mut self.strokes
        }
    }

    /// Extend the stroke in progress (ignored when none is).
    pub fn extend(&mut self, p: Point) {
        if let Some(s) = &mut self.current {
            let p = clamp_point(p);
            // Points closer than a fraction of a pixel add nothing.
            if let Some(last) = s.points.last()
                && (last.x - p.x).abs() < 1e-4
                && (last.y - p.y).abs() < 1e-4
            {
                return;
            }
            s.points.push(p);
            self.revision += 1;
        }
    }

    /// Finish the stroke in progress, making it one undoable edit.
    pub fn end(&mut self) {
        if let Some(s) = self.current.take() {
            self.layer_of(s.tool).push(s.clone());
            self.record(Edit::Stroke(s));
        }
    }

    /// Remove everything, hints included (undoable).
    pub fn clear(&mut self) {
        self.end();
        if self.strokes.is_empty() && self.background.is_none() && self.hints.is_empty() {
            return;
        }
        let strokes = std::mem::take(&mut self.strokes);
        let background = self.background.take();
        let hints = std::mem::take(&mut self.hints);
        self.record(Edit::Clear {
            strokes,
            background,
            hints,
        });
        self.revision += 1;
    }

    /// Remove the colour hints, keeping the sketch (undoable).
    pub fn clear_hints(&mut self) {
        self.end();
        if self.hints.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.hints);
        self.record(Edit::ClearHints(old));
        self.revision += 1;
    }

    /// Put an opened hint image (RGBA, transparent = no hint; any size, resampled) under the
    /// hint strokes, replacing the hint layer. Undoable together with the sketch it came with
    /// when called right after [`Self::set_background`].
    pub fn set_hint_background(&mut self, hints: RgbaImage) {
        self.end();
        let old = std::mem::replace(
            &mut self.hints,
            Hints {
                background: Some(Arc::new(hints)),
                strokes: Vec::new(),
            },
        );
        self.record(Edit::ClearHints(old));
        self.revision += 1;
    }

    /// Replace the canvas with a line image (an opened sketch or an extracted photo) as the
    /// background layer; existing strokes are removed. Undoable.
    pub fn set_background(&mut self, lines: GrayImage) {
        self.end();
        let old = self.background.replace(Arc::new(lines));
        let old_strokes = std::mem::take(&mut self.strokes);
        let old_hints = std::mem::take(&mut self.hints);
        self.record(Edit::Background {
            old,
            old_strokes,
            old_hints,
        });
        self.revision += 1;
    }

    /// A new edit: undoable, and what was undone before it can no longer be redone.
    fn record(&mut self, edit: Edit) {
        self.push_undo(edit);
        self.redo.clear();
    }

    /// Keep `edit` for undo; past [`UNDO_DEPTH`] the oldest stays as it is, no longer undoable.
    fn push_undo(&mut self, edit: Edit) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(edit);
    }

    /// Whether [`Self::undo`] would do something.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty() || self.current.is_some()
    }

    /// Whether [`Self::redo`] would do something.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Undo the last edit.
    pub fn undo(&mut self) {
        self.end();
        let Some(edit) = self.undo.pop() else { return };
        let inverse = self.replay(edit, true);
        self.redo.push(inverse);
        self.revision += 1;
    }

    /// Redo the last undone edit.
    pub fn redo(&mut self) {
        self.end();
        let Some(edit) = self.redo.pop() else { return };
        let inverse = self.replay(edit, false);
        self.push_undo(inverse);
        self.revision += 1;
    }

    /// Carry out `edit` backwards (`undoing`) or forwards; the edit that reverses it.
    fn replay(&mut self, edit: Edit, undoing: bool) -> Edit {
        match edit {
            Edit::Stroke(s) => {
                if undoing {
                    self.layer_of(s.tool).pop();
                } else {
                    self.layer_of(s.tool).push(s.clone());
                }
                Edit::Stroke(s)
            }
            // A clear and its undo trade the stored layers for the ones on the canvas (the
            // cleared canvas is empty when the clear is undone: undo goes in order).
            Edit::Clear {
                strokes,
                background,
                hints,
            } => Edit::Clear {
                strokes: std::mem::replace(&mut self.strokes, strokes),
                background: std::mem::replace(&mut self.background, background),
                hints: std::mem::replace(&mut self.hints, hints),
            },
            Edit::Background {
                old,
                old_strokes,
                old_hints,
            } => self.swap_layers(old, old_strokes, old_hints),
            Edit::ClearHints(old) => Edit::ClearHints(std::mem::replace(&mut self.hints, old)),
        }
    }

    /// Put the given layers in place and return an edit that puts the current ones back.
    fn swap_layers(
        &mut self,
        background: Option<Arc<GrayImage>>,
        strokes: Vec<Stroke>,
        hints: Hints,
    ) -> Edit {
        Edit::Background {
            old: std::mem::replace(&mut self.background, background),
            old_strokes: std::mem::replace(&mut self.strokes, strokes),
            old_hints: std::mem::replace(&mut self.hints, hints),
        }
    }

    /// The finished strokes and hint strokes, for the autosave.
    pub fn saved_strokes(&self) -> SavedStrokes {
        let mut strokes = self.strokes.clone();
        let mut hints = self.hints.strokes.clone();
        if let Some(s) = &self.current {
            if s.tool.on_hints() {
                hints.push(s.clone());
            } else {
                strokes.push(s.clone());
            }
        }
        SavedStrokes { strokes, hints }
    }

    /// Restore strokes from an autosave (as one undoable edit per stroke).
    pub fn restore(&mut self, saved: SavedStrokes) {
        for s in saved.strokes.into_iter().chain(saved.hints) {
            if s.points.is_empty() {
                continue;
            }
            self.layer_of(s.tool).push(s.clone());
            self.push_undo(Edit::Stroke(s));
        }
        self.revision += 1;
    }

    /// Rasterise the hint layer at `size`×`size`: RGBA, opaque where there is a hint (hard
    /// edges: a hint is there or not), transparent elsewhere.
    pub fn rasterize_hints(&self, size: u32) -> RgbaImage {
        let current = self.current.iter().filter(|s| s.tool.on_hints());
        raster::hint_layer(
            self.hints.background.as_deref(),
            self.hints.strokes.iter().chain(current),
            size,
        )
    }

    /// Rasterise at `size`×`size`: dark anti-aliased lines on white, RGB (the model's input).
    pub fn rasterize(&self, size: u32) -> RgbImage {
        raster::lines_image(&self.ink(size), size)
    }

    /// What the canvas shows: the sketch with the colour hints over it, multiplied in so the
    /// lines stay dark through a dab (the hints are seen without hiding the drawing).
    pub fn rasterize_display(&self, size: u32) -> RgbImage {
        let mut img = self.rasterize(size);
        if !self.has_hints() {
            return img;
        }
        raster::multiply(&mut img, &self.rasterize_hints(size));
        img
    }

    /// The ink coverage (0 = paper, 1 = black) of every pixel, row-major.
    fn ink(&self, size: u32) -> Vec<f32> {
        let mut ink = match &self.background {
            Some(bg) => {
                let mut cache = self.background_ink.borrow_mut();
                let fresh = cache
                    .as_ref()
                    .is_some_and(|c| c.size == size && Arc::ptr_eq(&c.source, bg));
                if !fresh {
                    *cache = Some(BackgroundInk {
                        source: bg.clone(),
                        size,
                        ink: raster::background_ink(bg, size),
                    });
                }
                cache.as_ref().map(|c| c.ink.clone()).unwrap_or_default()
            }
            None => vec![0f32; (size * size) as usize],
        };
        let current = self.current.iter().filter(|s| !s.tool.on_hints());
        for s in self.strokes.iter().chain(current) {
            raster::draw_stroke(&mut ink, size, s);
        }
        ink
    }
}

fn clamp_point(p: Point) -> Point {
    Point {
        x: p.x.clamp(-0.05, 1.05),
        y: p.y.clamp(-0.05, 1.05),
        pressure: if p.pressure.is_finite() {
            p.pressure.clamp(0.05, 1.0)
        } else {
            1.0
        },
    }
}

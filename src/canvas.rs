//! The sketch as data: strokes in 0–1 canvas coordinates over an optional background line
//! layer, with unlimited undo/redo of whole edits and rasterisation at any resolution.
//! Pure state: no UI, no threads, so all of it is testable without a window.

use image::{GrayImage, Luma, RgbImage};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a stroke does to the ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tool {
    /// Black ink.
    #[default]
    Pen,
    /// Removes ink, the background layer's included.
    Eraser,
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
}

/// An undoable change.
#[derive(Debug, Clone)]
enum Edit {
    Stroke(Stroke),
    Clear {
        strokes: Vec<Stroke>,
        background: Option<Arc<GrayImage>>,
    },
    Background {
        old: Option<Arc<GrayImage>>,
        old_strokes: Vec<Stroke>,
    },
}

/// The sketch being drawn.
#[derive(Debug, Clone, Default)]
pub struct Canvas {
    strokes: Vec<Stroke>,
    background: Option<Arc<GrayImage>>,
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

    /// Whether there is nothing to see.
    pub fn is_blank(&self) -> bool {
        self.strokes.is_empty() && self.background.is_none() && self.current.is_none()
    }

    /// Start a stroke at `p`. A stroke already in progress is finished first.
    pub fn begin(&mut self, tool: Tool, width: f32, p: Point) {
        self.end();
        self.current = Some(Stroke {
            tool,
            width: width.clamp(1e-4, 0.5),
            points: vec![clamp_point(p)],
        });
        self.revision += 1;
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
            self.strokes.push(s.clone());
            self.undo.push(Edit::Stroke(s));
            self.redo.clear();
        }
    }

    /// Remove everything (undoable).
    pub fn clear(&mut self) {
        self.end();
        if self.strokes.is_empty() && self.background.is_none() {
            return;
        }
        let strokes = std::mem::take(&mut self.strokes);
        let background = self.background.take();
        self.undo.push(Edit::Clear {
            strokes,
            background,
        });
        self.redo.clear();
        self.revision += 1;
    }

    /// Replace the canvas with a line image (an opened sketch or an extracted photo) as the
    /// background layer; existing strokes are removed. Undoable.
    pub fn set_background(&mut self, lines: GrayImage) {
        self.end();
        let old = self.background.replace(Arc::new(lines));
        let old_strokes = std::mem::take(&mut self.strokes);
        self.undo.push(Edit::Background { old, old_strokes });
        self.redo.clear();
        self.revision += 1;
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
        let inverse = match edit {
            Edit::Stroke(s) => {
                self.strokes.pop();
                Edit::Stroke(s)
            }
            Edit::Clear {
                strokes,
                background,
            } => {
                self.strokes = strokes;
                self.background = background;
                Edit::Clear {
                    strokes: Vec::new(),
                    background: None,
                }
            }
            Edit::Background { old, old_strokes } => {
                let new = std::mem::replace(&mut self.background, old);
                let new_strokes = std::mem::replace(&mut self.strokes, old_strokes);
                Edit::Background {
                    old: new,
                    old_strokes: new_strokes,
                }
            }
        };
        self.redo.push(inverse);
        self.revision += 1;
    }

    /// Redo the last undone edit.
    pub fn redo(&mut self) {
        self.end();
        let Some(edit) = self.redo.pop() else { return };
        let inverse = match edit {
            Edit::Stroke(s) => {
                self.strokes.push(s.clone());
                Edit::Stroke(s)
            }
            Edit::Clear { .. } => {
                let strokes = std::mem::take(&mut self.strokes);
                let background = self.background.take();
                Edit::Clear {
                    strokes,
                    background,
                }
            }
            Edit::Background { old, old_strokes } => {
                let prev = std::mem::replace(&mut self.background, old);
                let prev_strokes = std::mem::replace(&mut self.strokes, old_strokes);
                Edit::Background {
                    old: prev,
                    old_strokes: prev_strokes,
                }
            }
        };
        self.undo.push(inverse);
        self.revision += 1;
    }

    /// The finished strokes, for the autosave.
    pub fn saved_strokes(&self) -> SavedStrokes {
        let mut strokes = self.strokes.clone();
        strokes.extend(self.current.clone());
        SavedStrokes { strokes }
    }

    /// Restore strokes from an autosave (as one undoable edit per stroke).
    pub fn restore(&mut self, saved: SavedStrokes) {
        for s in saved.strokes {
            if s.points.is_empty() {
                continue;
            }
            self.strokes.push(s.clone());
            self.undo.push(Edit::Stroke(s));
        }
        self.revision += 1;
    }

    /// Rasterise at `size`×`size`: dark anti-aliased lines on white, RGB (the model's input).
    pub fn rasterize(&self, size: u32) -> RgbImage {
        let ink = self.ink(size);
        RgbImage::from_fn(size, size, |x, y| {
            let v = (255.0 * (1.0 - ink[(y * size + x) as usize])).round() as u8;
            image::Rgb([v, v, v])
        })
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
                    let scaled = image::imageops::resize(
                        bg.as_ref(),
                        size,
                        size,
                        image::imageops::FilterType::Triangle,
                    );
                    *cache = Some(BackgroundInk {
                        source: bg.clone(),
                        size,
                        ink: scaled.pixels().map(|p| 1.0 - p[0] as f32 / 255.0).collect(),
                    });
                }
                cache.as_ref().map(|c| c.ink.clone()).unwrap_or_default()
            }
            None => vec![0f32; (size * size) as usize],
        };
        for s in self.strokes.iter().chain(self.current.iter()) {
            draw_stroke(&mut ink, size, s);
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

/// Draw a stroke as a chain of anti-aliased capsules (a disc swept along each segment), so
/// fast pointer moves leave no gaps. Pressure scales the radius along the segment.
fn draw_stroke(ink: &mut [f32], size: u32, s: &Stroke) {
    let n = size as f32;
    let pts: Vec<(f32, f32, f32)> = s
        .points
        .iter()
        .map(|p| (p.x * n, p.y * n, (s.width * n * p.pressure / 2.0).max(0.35)))
        .collect();
    let segments: Vec<_> = if pts.len() == 1 {
        vec![(pts[0], pts[0])]
    } else {
        pts.windows(2).map(|w| (w[0], w[1])).collect()
    };
    for ((x0, y0, r0), (x1, y1, r1)) in segments {
        let rmax = r0.max(r1) + 1.0;
        let (minx, maxx) = ((x0.min(x1) - rmax).floor(), (x0.max(x1) + rmax).ceil());
        let (miny, maxy) = ((y0.min(y1) - rmax).floor(), (y0.max(y1) + rmax).ceil());
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = dx * dx + dy * dy;
        for py in (miny.max(0.0) as u32)..(maxy.min(n) as u32) {
            for px in (minx.max(0.0) as u32)..(maxx.min(n) as u32) {
                // Pixel centre, and its closest point on the segment.
                let (cx, cy) = (px as f32 + 0.5, py as f32 + 0.5);
                let t = if len2 > 0.0 {
                    (((cx - x0) * dx + (cy - y0) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (x0 + t * dx, y0 + t * dy);
                let d = ((cx - qx).powi(2) + (cy - qy).powi(2)).sqrt();
                let r = r0 + t * (r1 - r0);
                let cover = (r + 0.5 - d).clamp(0.0, 1.0);
                if cover <= 0.0 {
                    continue;
                }
                let i = (py * size + px) as usize;
                ink[i] = match s.tool {
                    Tool::Pen => ink[i].max(cover),
                    Tool::Eraser => ink[i].min(1.0 - cover),
                };
            }
        }
    }
}

/// A line image (255 paper, 0 ink) from an RGB sketch.
pub fn lines_from_rgb(img: &RgbImage) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y);
        Luma([((p[0] as u32 + p[1] as u32 + p[2] as u32) / 3) as u8])
    })
}

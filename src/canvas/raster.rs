//! Rasterising the canvas: strokes as anti-aliased capsules into an ink coverage map, the
//! hint layer with hard edges, and the two shown together.

use super::{Stroke, Tool};
use image::{GrayImage, RgbImage, Rgba, RgbaImage};

/// The ink coverage of a line layer (dark lines on white) scaled to `size`×`size`.
pub(super) fn background_ink(lines: &GrayImage, size: u32) -> Vec<f32> {
    let scaled = image::imageops::resize(lines, size, size, image::imageops::FilterType::Triangle);
    scaled.pixels().map(|p| 1.0 - p[0] as f32 / 255.0).collect()
}

/// Dark lines on white from an ink coverage map (0 = paper, 1 = black), `size`×`size`.
pub(super) fn lines_image(ink: &[f32], size: u32) -> RgbImage {
    RgbImage::from_fn(size, size, |x, y| {
        let v = (255.0 * (1.0 - ink[(y * size + x) as usize])).round() as u8;
        image::Rgb([v, v, v])
    })
}

/// The hint layer at `size`×`size`: RGBA, opaque where there is a hint (hard edges: a hint is
/// there or not), transparent elsewhere; `strokes` (dabs and hint erasers) over `background`.
pub(super) fn hint_layer<'a>(
    background: Option<&RgbaImage>,
    strokes: impl Iterator<Item = &'a Stroke>,
    size: u32,
) -> RgbaImage {
    let mut layer = match background {
        Some(bg) if bg.dimensions() == (size, size) => bg.clone(),
        Some(bg) => image::imageops::resize(bg, size, size, image::imageops::FilterType::Nearest),
        None => RgbaImage::new(size, size),
    };
    for s in strokes {
        let mut cover = vec![0f32; (size * size) as usize];
        draw_stroke(
            &mut cover,
            size,
            &Stroke {
                tool: Tool::Pen,
                ..s.clone()
            },
        );
        let value = match s.tool {
            Tool::Colour => Rgba([s.colour[0], s.colour[1], s.colour[2], 255]),
            _ => Rgba([0, 0, 0, 0]),
        };
        for (p, c) in layer.pixels_mut().zip(&cover) {
            if *c >= 0.5 {
                *p = value;
            }
        }
    }
    layer
}

/// Multiply the hints into the sketch, so the lines stay dark through a dab.
pub(super) fn multiply(img: &mut RgbImage, hints: &RgbaImage) {
    for (p, h) in img.pixels_mut().zip(hints.pixels()) {
        if h[3] > 0 {
            for c in 0..3 {
                p[c] = ((u16::from(p[c]) * u16::from(h[c])) / 255) as u8;
            }
        }
    }
}

/// Draw a stroke as a chain of anti-aliased capsules (a disc swept along each segment), so
/// fast pointer moves leave no gaps. Pressure scales the radius along the segment.
pub(super) fn draw_stroke(ink: &mut [f32], size: u32, s: &Stroke) {
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
                    Tool::Pen | Tool::Colour => ink[i].max(cover),
                    Tool::Eraser | Tool::HintEraser => ink[i].min(1.0 - cover),
                };
            }
        }
    }
}

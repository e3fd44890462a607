//! pix2pix's augmentation (random jitter and flips, on both sides of a pair) and the
//! sketch-side changes that make extracted lines look drawn by hand.

use super::Example;
use image::{RgbImage, imageops::FilterType};
use rand::Rng;

/// Augmentation settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    /// pix2pix's random jitter: resize to `size × 286/256`, random crop back to `size`.
    pub jitter: bool,
    /// Random horizontal flip.
    pub flip: bool,
    /// Sketch-side changes so hand-drawn strokes work: line width, displacement, drops, breaks.
    pub sketch: bool,
}

impl Augment {
    /// No augmentation: the examples as the model sees them at test time.
    pub const NONE: Self = Self {
        jitter: false,
        flip: false,
        sketch: false,
    };
}

impl Default for Augment {
    fn default() -> Self {
        Self {
            jitter: true,
            flip: true,
            sketch: true,
        }
    }
}

/// Bring an example to `size`×`size` with the augmentation asked for.
pub fn prepare_example(ex: &Example, size: u32, aug: &Augment, rng: &mut impl Rng) -> Example {
    let load = if aug.jitter { size * 286 / 256 } else { size };
    let resize = |img: &RgbImage| image::imageops::resize(img, load, load, FilterType::Triangle);
    let (mut sketch, mut photo) = (resize(&ex.sketch), resize(&ex.photo));
    let mut mask = ex
        .mask
        .as_ref()
        .map(|m| image::imageops::resize(m, load, load, FilterType::Nearest));
    if load > size {
        let (x, y) = (
            rng.random_range(0..=load - size),
            rng.random_range(0..=load - size),
        );
        sketch = image::imageops::crop_imm(&sketch, x, y, size, size).to_image();
        photo = image::imageops::crop_imm(&photo, x, y, size, size).to_image();
        mask = mask.map(|m| image::imageops::crop_imm(&m, x, y, size, size).to_image());
    }
    if aug.flip && rng.random_bool(0.5) {
        sketch = image::imageops::flip_horizontal(&sketch);
        photo = image::imageops::flip_horizontal(&photo);
        mask = mask.map(|m| image::imageops::flip_horizontal(&m));
    }
    if aug.sketch {
        sketch = augment_sketch(&sketch, rng);
    }
    Example {
        sketch,
        photo,
        mask,
    }
}

/// Make extracted lines look more like a person's: thicker or thinner lines, a small smooth
/// displacement, whole segments dropped and small breaks.
pub fn augment_sketch(sketch: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (w, h) = sketch.dimensions();
    let mut ink: Vec<f32> = sketch.pixels().map(|p| 1.0 - p[0] as f32 / 255.0).collect();
    // Width: grow the ink by one pixel half the time.
    if rng.random_bool(0.5) {
        let prev = ink.clone();
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let mut m = prev[(y * w as i64 + x) as usize];
                for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx >= 0 && ny >= 0 && nx < w as i64 && ny < h as i64 {
                        m = m.max(prev[(ny * w as i64 + nx) as usize] * 0.8);
                    }
                }
                ink[(y * w as i64 + x) as usize] = m;
            }
        }
    }
    // Displacement: two low-frequency sine fields, up to ~2 px.
    let amp = rng.random_range(0.0..2.0f32);
    let (fx, fy) = (rng.random_range(1.0..3.0f32), rng.random_range(1.0..3.0f32));
    let (px, py) = (
        rng.random_range(0.0..std::f32::consts::TAU),
        rng.random_range(0.0..std::f32::consts::TAU),
    );
    let src = ink.clone();
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            let sx = x as f32 + amp * (std::f32::consts::TAU * fy * v + px).sin();
            let sy = y as f32 + amp * (std::f32::consts::TAU * fx * u + py).sin();
            let (ix, iy) = (sx.round() as i64, sy.round() as i64);
            ink[(y * w + x) as usize] = if ix >= 0 && iy >= 0 && ix < w as i64 && iy < h as i64 {
                src[(iy as u32 * w + ix as u32) as usize]
            } else {
                0.0
            };
        }
    }
    // Dropped segments (a few larger holes) and breaks (several small ones).
    let side = w.min(h) as f32;
    let holes = rng.random_range(0..4);
    let breaks = rng.random_range(0..12);
    for k in 0..holes + breaks {
        let r = if k < holes {
            rng.random_range(0.02..0.06) * side
        } else {
            rng.random_range(0.005..0.012) * side
        };
        let (cx, cy) = (
            rng.random_range(0.0..w as f32),
            rng.random_range(0.0..h as f32),
        );
        let (x0, x1) = ((cx - r).max(0.0) as u32, ((cx + r) as u32).min(w - 1));
        let (y0, y1) = ((cy - r).max(0.0) as u32, ((cy + r) as u32).min(h - 1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                if (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r {
                    ink[(y * w + x) as usize] = 0.0;
                }
            }
        }
    }
    RgbImage::from_fn(w, h, |x, y| {
        let v = (255.0 * (1.0 - ink[(y * w + x) as usize].clamp(0.0, 1.0))).round() as u8;
        image::Rgb([v, v, v])
    })
}

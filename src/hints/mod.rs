//! Colour hints: sparse dabs of colour that tell a model which colour to paint where, after
//! Zhang et al. 2017, "Real-Time User-Guided Image Colorization with Learned Deep Priors"
//! (arXiv:1705.02999).
//!
//! A hint layer is an RGBA image the size of the sketch: an opaque pixel is a hint of its
//! colour, a transparent one is none. The network sees it as four extra input channels (colour
//! in [-1, 1], zero where there is no hint, then a {0, 1} mask; see
//! [`crate::tensor_image::hints_to_tensor`]). Training simulates a user's dabs as Zhang et al.
//! did: a geometrically distributed number of small square patches (none for a good share of
//! the examples, so the model also paints on its own), each carrying the photo's mean colour
//! over the patch.

mod file;

pub use file::{HintFileError, read_hint_layer};

use image::{GrayImage, RgbImage, Rgba, RgbaImage};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Input channels a hint layer adds to a generator: colour (3) and mask (1).
pub const CHANNELS: usize = 4;

/// Side at which the app keeps a hint layer on disk (autosave, `NAME.hints.png`): dabs are
/// a few pixels at the model's 256², so 512² keeps them exact at any model resolution up to it.
pub const LAYER_SIDE: u32 = 512;

/// The path of the hint layer saved beside a sketch: `NAME.hints.png` for `NAME.EXT`.
pub fn layer_path_for(sketch: &std::path::Path) -> std::path::PathBuf {
    let stem = sketch.file_stem().unwrap_or_default().to_string_lossy();
    sketch.with_file_name(format!("{stem}.hints.png"))
}

/// How training draws simulated hints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HintConfig {
    /// Success probability of the geometric hint count: P(n hints) = (1 − p)ⁿ p, so p is also
    /// the share of examples with none, and the mean count is (1 − p) / p.
    pub rate: f64,
    /// Share of examples drawn without hints, when it differs from `rate`: the others then get
    /// 1 + a geometric count of rate `rate` (the hinted examples' counts are as before, only
    /// their share changes). None: `rate`, as in checkpoints written before this existed.
    #[serde(default)]
    pub free_share: Option<f64>,
    /// At most this many hints per example.
    pub max_hints: u32,
    /// Patch sides are drawn uniformly from 1 to this many pixels.
    pub max_patch: u32,
    /// Share of the hints placed on the subject when a foreground mask exists.
    pub on_subject: f64,
    /// Share of the hinted examples whose subject (and, half the time, background) is turned
    /// to another colour before the hints are taken ([`recolour_regions`]), so that a dab of
    /// any colour is followed over the region it lies in. 0 in checkpoints written before.
    #[serde(default)]
    pub recolour: f64,
    /// Share of the hints drawn as short strokes instead of square patches. 0 in checkpoints
    /// written before.
    #[serde(default)]
    pub strokes: f64,
}

impl Default for HintConfig {
    fn default() -> Self {
        // A quarter of the examples without hints (the model must paint well alone) and a
        // mean of three hints, so ten is still within what it has seen (P ≈ 6 %).
        Self {
            rate: 0.25,
            free_share: None,
            max_hints: 32,
            max_patch: 9,
            on_subject: 0.75,
            recolour: 0.0,
            strokes: 0.0,
        }
    }
}

impl HintConfig {
    /// The share of examples drawn without hints.
    pub fn hint_free_share(&self) -> f64 {
        self.free_share.unwrap_or(self.rate)
    }
}

/// Draw the number of hints for one example.
pub fn hint_count(cfg: &HintConfig, rng: &mut impl Rng) -> u32 {
    let p = cfg.rate.clamp(1e-6, 1.0);
    let mut n = 0;
    if let Some(free) = cfg.free_share {
        if cfg.max_hints == 0 || rng.random_bool(free.clamp(0.0, 1.0)) {
            return 0;
        }
        n = 1;
    }
    while n < cfg.max_hints && !rng.random_bool(p) {
        n += 1;
    }
    n
}

/// Simulate a user's hints for `photo`: `hint_count` square patches, each filled with the
/// photo's mean colour over it, placed on the subject (non-zero `mask`, same size as the photo)
/// for a share of them when a mask is given.
pub fn sample_hints(
    photo: &RgbImage,
    mask: Option<&GrayImage>,
    cfg: &HintConfig,
    rng: &mut impl Rng,
) -> RgbaImage {
    let n = hint_count(cfg, rng);
    place_hints(photo, mask, n, cfg, rng)
}

/// Hints for a training example, as [`sample_hints`] draws them but, for the share
/// `cfg.recolour` of the hinted examples, after turning the regions of `photo` (the target,
/// changed in place) to other colours with [`recolour_regions`]. With `recolour` 0 it draws
/// exactly what [`sample_hints`] draws.
pub fn sample_training_hints(
    photo: &mut RgbImage,
    mask: Option<&GrayImage>,
    cfg: &HintConfig,
    rng: &mut impl Rng,
) -> RgbaImage {
    let n = hint_count(cfg, rng);
    if n > 0 && cfg.recolour > 0.0 && rng.random_bool(cfg.recolour.clamp(0.0, 1.0)) {
        *photo = recolour_regions(photo, mask, rng);
    }
    place_hints(photo, mask, n, cfg, rng)
}

/// `photo` with its subject (non-zero `mask`, same size) turned to a random hue and
/// saturation, and half the time its background to another; the whole photo when there is
/// no mask. A person's dab may be any colour, and means "this region in this colour"
/// (Zhang et al. 2017 propagate a point's colour over its segment): trained on such targets,
/// one dab recolours the region it lies in.
pub fn recolour_regions(
    photo: &RgbImage,
    mask: Option<&GrayImage>,
    rng: &mut impl Rng,
) -> RgbImage {
    let draw = |rng: &mut dyn rand::RngCore| crate::colour::Recolour {
        hue: rng.random_range(0.0..360.0),
        saturation: rng.random_range(0.5..2.0),
        brightness: rng.random_range(0.8..1.15),
    };
    let mask = mask.filter(|m| m.dimensions() == photo.dimensions());
    let subject = draw(rng).apply(photo, mask);
    match mask {
        Some(m) if rng.random_bool(0.5) => {
            let background = GrayImage::from_fn(m.width(), m.height(), |x, y| {
                image::Luma([255 - m.get_pixel(x, y)[0]])
            });
            draw(rng).apply(&subject, Some(&background))
        }
        _ => subject,
    }
}

/// `n` hints for `photo` as [`sample_hints`] places them (for evaluation with a fixed count).
pub fn place_hints(
    photo: &RgbImage,
    mask: Option<&GrayImage>,
    n: u32,
    cfg: &HintConfig,
    rng: &mut impl Rng,
) -> RgbaImage {
    let (w, h) = photo.dimensions();
    let mut hints = RgbaImage::new(w, h);
    let mask = mask.filter(|m| m.dimensions() == (w, h));
    for _ in 0..n {
        let side = rng.random_range(1..=cfg.max_patch.max(1)).min(w).min(h);
        let (cx, cy) = match mask {
            Some(m) if rng.random_bool(cfg.on_subject.clamp(0.0, 1.0)) => on_subject(m, rng)
                .unwrap_or_else(|| (rng.random_range(0..w), rng.random_range(0..h))),
            _ => (rng.random_range(0..w), rng.random_range(0..h)),
        };
        if cfg.strokes > 0.0 && rng.random_bool(cfg.strokes.clamp(0.0, 1.0)) {
            stroke(photo, mask, (cx, cy), &mut hints, rng);
            continue;
        }
        let x0 = cx.saturating_sub(side / 2).min(w - side);
        let y0 = cy.saturating_sub(side / 2).min(h - side);
        let colour = mean_colour(photo, x0, y0, side);
        for y in y0..y0 + side {
            for x in x0..x0 + side {
                hints.put_pixel(x, y, colour);
            }
        }
    }
    hints
}

/// A short straight stroke from `start` into `hints`, 2–6 pixels wide and 6–40 long (at 256²;
/// in proportion on other sizes), in the photo's mean colour under it. With a mask it stays on
/// the side of the subject's edge it starts on, as a person's stroke colours one region.
fn stroke(
    photo: &RgbImage,
    mask: Option<&GrayImage>,
    start: (u32, u32),
    hints: &mut RgbaImage,
    rng: &mut impl Rng,
) {
    let (w, h) = photo.dimensions();
    let unit = w.min(h) as f32 / 256.0;
    let radius = rng.random_range(1.0..3.0f32) * unit;
    let length = rng.random_range(6.0..40.0f32) * unit;
    let angle = rng.random_range(0.0..std::f32::consts::TAU);
    let side = |x: u32, y: u32| mask.map(|m| m.get_pixel(x, y)[0] > 0);
    let region = side(start.0, start.1);
    let mut pixels = Vec::new();
    let mut t = 0.0;
    while t <= length {
        let (cx, cy) = (
            start.0 as f32 + t * angle.cos(),
            start.1 as f32 + t * angle.sin(),
        );
        let r = radius.ceil() as i64;
        for dy in -r..=r {
            for dx in -r..=r {
                let (x, y) = (cx.round() as i64 + dx, cy.round() as i64 + dy);
                if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) {
                    continue;
                }
                let (x, y) = (x as u32, y as u32);
                if ((dx * dx + dy * dy) as f32) <= radius * radius && side(x, y) == region {
                    pixels.push((x, y));
                }
            }
        }
        t += 1.0;
    }
    pixels.sort_unstable();
    pixels.dedup();
    if pixels.is_empty() {
        return;
    }
    let mut sum = [0u64; 3];
    for &(x, y) in &pixels {
        let p = photo.get_pixel(x, y);
        for c in 0..3 {
            sum[c] += u64::from(p[c]);
        }
    }
    let n = pixels.len() as u64;
    let mean = |c: usize| ((sum[c] + n / 2) / n) as u8;
    let colour = Rgba([mean(0), mean(1), mean(2), 255]);
    for (x, y) in pixels {
        hints.put_pixel(x, y, colour);
    }
}

/// A random pixel of the subject, by rejection (None when the mask seems empty).
fn on_subject(mask: &GrayImage, rng: &mut impl Rng) -> Option<(u32, u32)> {
    let (w, h) = mask.dimensions();
    (0..64).find_map(|_| {
        let (x, y) = (rng.random_range(0..w), rng.random_range(0..h));
        (mask.get_pixel(x, y)[0] > 0).then_some((x, y))
    })
}

/// The mean colour of the `side`² square at (`x0`, `y0`), as an opaque hint pixel.
pub fn mean_colour(photo: &RgbImage, x0: u32, y0: u32, side: u32) -> Rgba<u8> {
    let mut sum = [0u64; 3];
    for y in y0..y0 + side {
        for x in x0..x0 + side {
            let p = photo.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
        }
    }
    let n = u64::from(side) * u64::from(side);
    let mean = |c: usize| ((sum[c] + n / 2) / n) as u8;
    Rgba([mean(0), mean(1), mean(2), 255])
}

/// Whether a hint layer holds any hint.
pub fn has_hints(hints: &RgbaImage) -> bool {
    hints.pixels().any(|p| p[3] > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng as TestRng;
    use image::{Luma, Rgb};

    /// An orange disc on a green field, and the disc's mask.
    fn two_regions() -> (RgbImage, GrayImage) {
        let inside = |x: u32, y: u32| (x as i32 - 48).pow(2) + (y as i32 - 48).pow(2) < 30 * 30;
        let photo = RgbImage::from_fn(96, 96, |x, y| {
            Rgb(if inside(x, y) {
                [220, 130, 40]
            } else {
                [40, 150, 60]
            })
        });
        let mask = GrayImage::from_fn(96, 96, |x, y| Luma([if inside(x, y) { 255 } else { 0 }]));
        (photo, mask)
    }

    #[test]
    fn strokes_stay_in_the_region_they_start_in_and_carry_its_colour() {
        let (photo, mask) = two_regions();
        let cfg = HintConfig {
            strokes: 1.0,
            on_subject: 0.5,
            ..HintConfig::default()
        };
        let mut rng = TestRng::seed_from_u64(4);
        let mut longest = 0;
        for _ in 0..30 {
            let hints = place_hints(&photo, Some(&mask), 1, &cfg, &mut rng);
            let marked: Vec<(u32, u32)> = hints
                .enumerate_pixels()
                .filter(|(_, _, p)| p[3] > 0)
                .map(|(x, y, _)| (x, y))
                .collect();
            assert!(!marked.is_empty());
            let region = mask.get_pixel(marked[0].0, marked[0].1)[0];
            for &(x, y) in &marked {
                assert_eq!(mask.get_pixel(x, y)[0], region, "a stroke crossed the edge");
                let (h, p) = (hints.get_pixel(x, y), photo.get_pixel(x, y));
                assert_eq!([h[0], h[1], h[2]], p.0);
            }
            let xs = marked.iter().map(|p| p.0);
            let ys = marked.iter().map(|p| p.1);
            let extent = (xs.clone().max().unwrap() - xs.min().unwrap())
                .max(ys.clone().max().unwrap() - ys.min().unwrap());
            longest = longest.max(extent);
        }
        // Strokes, not dots: some reach past the largest square patch (9 px).
        assert!(longest > 9, "longest stroke {longest} px");
    }

    #[test]
    fn recoloured_examples_change_the_target_and_their_hints_follow_it() {
        let (photo, mask) = two_regions();
        let cfg = HintConfig {
            recolour: 1.0,
            free_share: Some(0.0),
            ..HintConfig::default()
        };
        let mut rng = TestRng::seed_from_u64(9);
        let mut changed = 0;
        for _ in 0..10 {
            let mut target = photo.clone();
            let hints = sample_training_hints(&mut target, Some(&mask), &cfg, &mut rng);
            if target != photo {
                changed += 1;
            }
            // Each region stays one colour, and every hint carries its region's new colour.
            let subject = *target.get_pixel(48, 48);
            assert!(
                target
                    .enumerate_pixels()
                    .all(|(x, y, p)| { mask.get_pixel(x, y)[0] == 0 || *p == subject })
            );
            // (Patches whose square lies wholly in one region: 9 px or more from the edge.)
            let r =
                |x: u32, y: u32| f64::from((x as i32 - 48).pow(2) + (y as i32 - 48).pow(2)).sqrt();
            let clear = |x: u32, y: u32| r(x, y) < 21.0 || r(x, y) > 39.0;
            for (x, y, h) in hints
                .enumerate_pixels()
                .filter(|&(x, y, h)| h[3] > 0 && clear(x, y))
            {
                let p = target.get_pixel(x, y);
                assert!((0..3).all(|c| h[c].abs_diff(p[c]) <= 1), "{h:?} on {p:?}");
            }
        }
        assert_eq!(changed, 10);
        // Without a share, the draw is the old one: same hints, target untouched.
        let plain = HintConfig::default();
        let (mut a, mut b) = (TestRng::seed_from_u64(2), TestRng::seed_from_u64(2));
        let mut target = photo.clone();
        assert_eq!(
            sample_training_hints(&mut target, Some(&mask), &plain, &mut a),
            sample_hints(&photo, Some(&mask), &plain, &mut b)
        );
        assert_eq!(target, photo);
    }
}

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

/// A hint file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HintFileError {
    /// Not a readable image.
    #[error("{path}: not a readable image ({reason}); save the hints as a PNG with transparency")]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// Its shape differs from the sketch's.
    #[error(
        "{path} is {found_w}×{found_h} but the sketch is {w}×{h}: a hint layer must have the \
         sketch's proportions (any size, it is resampled)"
    )]
    Proportions {
        /// The file.
        path: std::path::PathBuf,
        /// Its size.
        found_w: u32,
        /// Its size.
        found_h: u32,
        /// The sketch's size.
        w: u32,
        /// The sketch's size.
        h: u32,
    },
    /// Not one opaque pixel.
    #[error(
        "{path} holds no hint: every pixel is transparent (paint opaque dabs of colour where \
         the model should use that colour)"
    )]
    Empty {
        /// The file.
        path: std::path::PathBuf,
    },
}

/// Read a hint layer (RGBA; transparent = no hint) for a sketch of `w`×`h`, resampled to it
/// (nearest neighbour, so dabs keep their colour). Files without alpha count every pixel as a
/// hint, so they are refused only when empty by that rule too.
pub fn read_hint_layer(path: &std::path::Path, w: u32, h: u32) -> Result<RgbaImage, HintFileError> {
    let img = crate::tensor_image::read_image(path).map_err(|e| HintFileError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let layer = img.to_rgba8();
    let (fw, fh) = layer.dimensions();
    // Proportions within 2 % (a rounding of a resampled copy), compared without division.
    let (a, b) = (u64::from(fw) * u64::from(h), u64::from(fh) * u64::from(w));
    if a.abs_diff(b) * 50 > a.max(b) {
        return Err(HintFileError::Proportions {
            path: path.to_owned(),
            found_w: fw,
            found_h: fh,
            w,
            h,
        });
    }
    let layer = if (fw, fh) == (w, h) {
        layer
    } else {
        image::imageops::resize(&layer, w, h, image::imageops::FilterType::Nearest)
    };
    if !has_hints(&layer) {
        return Err(HintFileError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(layer)
}

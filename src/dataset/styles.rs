//! The sketch of a photo, in the styles training and evaluation draw: the extractor's edges,
//! the outline from the mask, XDoG; varied styles for training; and drawings like people's on
//! blank paper, with calm targets ([`super::calm`]).

use super::calm::{self, Backdrop, Placement};
use super::{Dataset, Example, Item, fit_mask};
use crate::imaging::{ImageReadError, read_image, to_rgb};
use crate::lines::{LineConfig, extract_lines, outline_lines};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How the sketch of a photo is drawn for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SketchStyle {
    /// pix2paint's own extractor (Canny-like edges, masked to the subject where a mask exists).
    Edges,
    /// The subject's outline from its mask, nothing inside (what people draw first).
    Outline,
    /// XDoG, an extractor of a different kind ([`crate::lines::xdog_lines`]).
    Xdog,
}

/// How a run draws sketches like people's ([`Dataset::load_drawn`]); stored in checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drawings {
    /// What the background of a sketch on blank paper becomes in its target.
    pub backdrop: Backdrop,
    /// Share of the examples (of photos with a mask) drawn as the extractor's edges over the
    /// photo's own background, so that photos opened as sketches still paint.
    pub photo_share: f64,
    /// Share of the blank-paper examples whose subject is shrunk and moved.
    pub shrink_share: f64,
    /// The smallest scale of a shrunk subject.
    pub min_scale: f32,
}

impl Default for Drawings {
    fn default() -> Self {
        Self {
            backdrop: Backdrop::Blur,
            photo_share: 0.25,
            shrink_share: 0.5,
            min_scale: 0.45,
        }
    }
}

impl Dataset {
    /// Load example `i` with its sketch drawn in `style` (photos layout; other layouts have
    /// their own sketches and give them for every style). `None` when the style needs a mask
    /// the photo does not have.
    pub fn load_style(
        &self,
        i: usize,
        style: SketchStyle,
    ) -> Result<Option<Example>, ImageReadError> {
        let Item::Photo(p) = &self.items[i] else {
            return self.load(i).map(Some);
        };
        let photo = read_image(p).map(|i| to_rgb(&i))?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        let lines = match style {
            SketchStyle::Edges => extract_lines(&photo, mask.as_ref(), &self.lines),
            SketchStyle::Outline => match &mask {
                Some(m) => outline_lines(&photo, m, &self.lines, None),
                None => return Ok(None),
            },
            SketchStyle::Xdog => crate::lines::xdog_lines(&photo),
        };
        Ok(Some(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo,
            mask,
        }))
    }

    /// Load example `i` as [`Dataset::load`] does, but for photos draw the sketch in a random
    /// style, so the model learns what people draw and not only what an edge detector finds:
    /// the extractor's edges, simplified edges (only the strongest), and where a mask exists
    /// the outline alone or the outline with the strongest interior lines; line widths vary.
    pub fn load_varied(&self, i: usize, rng: &mut impl Rng) -> Result<Example, ImageReadError> {
        let Item::Photo(p) = &self.items[i] else {
            return self.load(i);
        };
        let photo = read_image(p).map(|i| to_rgb(&i))?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        let cfg = LineConfig {
            width: rng.random_range(1.2..2.8),
            ..self.lines.clone()
        };
        let simplified = LineConfig {
            high_quantile: 0.95,
            ..cfg.clone()
        };
        let r: f64 = rng.random();
        let lines = match &mask {
            Some(m) if r < 0.35 => outline_lines(&photo, m, &cfg, None),
            Some(m) if r < 0.65 => outline_lines(&photo, m, &cfg, Some(0.96)),
            Some(m) if r < 0.75 => extract_lines(&photo, Some(m), &simplified),
            None if r < 0.3 => extract_lines(&photo, None, &simplified),
            m => extract_lines(&photo, m.as_ref(), &cfg),
        };
        Ok(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo,
            mask,
        })
    }

    /// Load example `i` drawn as people draw ([`Drawings`]): for photos with a mask, most
    /// examples are a sketch on blank paper (the outline, the outline with a few interior
    /// lines, or the subject's edges) whose target is the subject over a calm background, the
    /// subject often shrunk and moved; the others, and photos without a mask, keep the
    /// extractor's edges over the photo's own background ([`Dataset::load_varied`]).
    pub fn load_drawn(
        &self,
        i: usize,
        drawings: &Drawings,
        rng: &mut impl Rng,
    ) -> Result<Example, ImageReadError> {
        let Some((photo, Some(mask))) = self.load_photo(i)? else {
            return self.load_varied(i, rng);
        };
        if rng.random_bool(drawings.photo_share.clamp(0.0, 1.0)) {
            return self.load_varied(i, rng);
        }
        // A cat the photo cuts off stays against the same sides of the canvas when shrunk, so
        // the cut never shows as a straight edge in the middle of the paper; one cut off on
        // two opposite sides is left at full size.
        let cut = touched_sides(&mask);
        let placement = if rng.random_bool(drawings.shrink_share.clamp(0.0, 1.0))
            && !(cut.left && cut.right)
            && !(cut.top && cut.bottom)
        {
            let (x, y): (f32, f32) = (rng.random(), rng.random());
            Placement {
                scale: rng.random_range(drawings.min_scale.clamp(0.1, 1.0)..=1.0),
                x: if cut.left {
                    0.0
                } else if cut.right {
                    1.0
                } else {
                    x
                },
                y: if cut.top {
                    0.0
                } else if cut.bottom {
                    1.0
                } else {
                    y
                },
            }
        } else {
            Placement::AS_IS
        };
        let (target, mask) = calm::calm_target(&photo, &mask, drawings.backdrop, placement);
        let cfg = LineConfig {
            width: rng.random_range(1.2..3.0),
            ..self.lines.clone()
        };
        let r: f64 = rng.random();
        let lines = if r < 0.3 {
            outline_lines(&target, &mask, &cfg, None)
        } else if r < 0.7 {
            let interior = rng.random_range(0.95..0.985);
            outline_lines(&target, &mask, &cfg, Some(interior))
        } else if r < 0.85 {
            extract_lines(&target, Some(&mask), &cfg)
        } else {
            let simplified = LineConfig {
                high_quantile: 0.95,
                ..cfg
            };
            extract_lines(&target, Some(&mask), &simplified)
        };
        Ok(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo: target,
            mask: Some(mask),
        })
    }
}

/// Which sides of the picture a subject's mask touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sides {
    left: bool,
    right: bool,
    top: bool,
    bottom: bool,
}

/// The sides of the picture the subject (mask values above 128) reaches.
fn touched_sides(mask: &image::GrayImage) -> Sides {
    let (w, h) = mask.dimensions();
    let on = |x: u32, y: u32| mask.get_pixel(x, y)[0] > 128;
    Sides {
        left: (0..h).any(|y| on(0, y)),
        right: (0..h).any(|y| on(w - 1, y)),
        top: (0..w).any(|x| on(x, 0)),
        bottom: (0..w).any(|x| on(x, h - 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Layout;
    use crate::rng::Rng as TestRng;
    use crate::weights::Direction;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    #[test]
    fn drawn_examples_are_sketches_on_blank_paper_over_calm_targets() {
        let dir = tempfile::tempdir().unwrap();
        let (photos, masks) = (dir.path().join("photos"), dir.path().join("masks"));
        std::fs::create_dir(&photos).unwrap();
        std::fs::create_dir(&masks).unwrap();
        let inside = |x: u32, y: u32| (x as i32 - 64).pow(2) + (y as i32 - 70).pow(2) < 40 * 40;
        // A cat-coloured disc with dark spots, on a background of hard black and white bars.
        RgbImage::from_fn(128, 128, |x, y| {
            if inside(x, y) {
                Rgb(if (x / 9 + y / 9) % 3 == 0 {
                    [90, 50, 20]
                } else {
                    [210, 140, 70]
                })
            } else if (x / 6) % 2 == 0 {
                Rgb([10, 10, 10])
            } else {
                Rgb([250, 250, 250])
            }
        })
        .save(photos.join("cat.png"))
        .unwrap();
        GrayImage::from_fn(128, 128, |x, y| Luma([if inside(x, y) { 255 } else { 0 }]))
            .save(masks.join("cat.png"))
            .unwrap();
        let data = Dataset::open(&photos, Layout::Photos, Direction::AtoB, Some(masks)).unwrap();
        let drawings = Drawings {
            photo_share: 0.0,
            ..Drawings::default()
        };
        let mut rng = TestRng::seed_from_u64(1);
        for _ in 0..6 {
            let ex = data.load_drawn(0, &drawings, &mut rng).unwrap(); // cat.png, the only one
            let mask = ex.mask.expect("drawn examples keep their mask");
            let near = |x: u32, y: u32| {
                (x.saturating_sub(4)..(x + 5).min(128)).any(|u| {
                    (y.saturating_sub(4)..(y + 5).min(128)).any(|v| mask.get_pixel(u, v)[0] > 0)
                })
            };
            // Blank paper away from the subject, and ink somewhere.
            let mut inked = 0;
            for (x, y, p) in ex.sketch.enumerate_pixels() {
                if p[0] < 128 {
                    inked += 1;
                    assert!(near(x, y), "a background line at {x},{y}");
                }
            }
            assert!(inked > 50, "{inked} inked pixels");
            // The bars are gone from the target's background: neighbours differ little.
            let mut jumps = 0;
            for y in 0..128 {
                for x in 1..128 {
                    if !near(x, y) && !near(x - 1, y) {
                        let (a, b) = (ex.photo.get_pixel(x, y), ex.photo.get_pixel(x - 1, y));
                        jumps += usize::from(a[0].abs_diff(b[0]) > 20);
                    }
                }
            }
            assert_eq!(jumps, 0, "the background kept its bars");
        }
        // A cat cut off by the photo's bottom edge, shrunk, still stands on the canvas's.
        let cut = photos.join("cut.png");
        RgbImage::from_fn(128, 128, |x, y| {
            Rgb(if y > 60 && (30..100).contains(&x) {
                [200, 120, 60]
            } else {
                [90, 90, 200]
            })
        })
        .save(&cut)
        .unwrap();
        GrayImage::from_fn(128, 128, |x, y| {
            Luma([if y > 60 && (30..100).contains(&x) {
                255
            } else {
                0
            }])
        })
        .save(dir.path().join("masks").join("cut.png"))
        .unwrap();
        let data = Dataset::open(
            &photos,
            Layout::Photos,
            Direction::AtoB,
            Some(dir.path().join("masks")),
        )
        .unwrap();
        let i = (0..data.len())
            .find(|&i| data.name(i) == "cut.png")
            .unwrap();
        let always_shrunk = Drawings {
            photo_share: 0.0,
            shrink_share: 1.0,
            min_scale: 0.5,
            ..Drawings::default()
        };
        for _ in 0..4 {
            let ex = data.load_drawn(i, &always_shrunk, &mut rng).unwrap();
            let mask = ex.mask.unwrap();
            assert!(
                (0..128).any(|x| mask.get_pixel(x, 127)[0] > 0),
                "lifted off the bottom"
            );
            assert!((0..128).all(|x| mask.get_pixel(x, 0)[0] == 0));
        }
        let i = (0..data.len())
            .find(|&i| data.name(i) == "cat.png")
            .unwrap();

        // With every example a photo edge drawing, the background stays as it was.
        let photo_edges = Drawings {
            photo_share: 1.0,
            ..Drawings::default()
        };
        let ex = data.load_drawn(i, &photo_edges, &mut rng).unwrap();
        assert_eq!(ex.photo.get_pixel(2, 2), &Rgb([10, 10, 10]));
        assert_eq!(ex.photo.get_pixel(8, 2), &Rgb([250, 250, 250]));
    }
}

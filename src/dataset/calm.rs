//! Targets for sketches drawn on blank paper: the photo's subject over a calm background.
//!
//! A person draws a cat on empty paper, and the blank paper around it says nothing about what
//! is there; a target that keeps the photo's cluttered background asks the model to invent
//! that clutter from nothing, and it learns to fill blank paper with streaks and mottle. For
//! the sketches that carry no background lines, the target's background is made calm with the
//! photo's foreground mask ([`Backdrop`]), and the subject can be shrunk and moved over it
//! ([`Placement`]), so that large blank areas, small cats and cats off-centre are common.

use crate::lines::gaussian_blur;
use image::imageops::FilterType;
use image::{GrayImage, Luma, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

/// What the background of a sketch on blank paper becomes in its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backdrop {
    /// The photo's own background, blurred strongly (its colours and light, no structure);
    /// the subject's colours do not bleed into it.
    Blur,
    /// Plain paper ([`PAPER`]).
    Paper,
}

/// The paper colour of [`Backdrop::Paper`]: a warm off-white.
pub const PAPER: [u8; 3] = [244, 241, 234];

/// Side at which [`Backdrop::Blur`] works (the photo is scaled down to it and back).
const BLUR_SIDE: u32 = 64;
/// The blur's σ at [`BLUR_SIDE`]: a sixteenth of the image.
const BLUR_SIGMA: f32 = 4.0;
/// σ of the soft edge given to the mask when the subject is laid over the backdrop, in pixels.
const FEATHER_SIGMA: f32 = 1.0;

/// Where the subject goes on the canvas: scaled by `scale` (≤ 1), its top-left corner at
/// (`x`, `y`) as a fraction of the room left over (0: left/top, 1: right/bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Scale of the subject (and of its photo around it), at most 1.
    pub scale: f32,
    /// Horizontal position in the room left over, 0–1.
    pub x: f32,
    /// Vertical position in the room left over, 0–1.
    pub y: f32,
}

impl Placement {
    /// The photo as it is.
    pub const AS_IS: Self = Self {
        scale: 1.0,
        x: 0.0,
        y: 0.0,
    };
}

/// The backdrop of `photo` at its size: for [`Backdrop::Blur`], the colours of the background
/// (where `alpha` is low) spread smoothly over the whole image, a normalised blur so the
/// subject's own colours stay out; for [`Backdrop::Paper`], paper.
fn backdrop(photo: &RgbImage, alpha: &[f32], kind: Backdrop) -> RgbImage {
    let (w, h) = photo.dimensions();
    match kind {
        Backdrop::Paper => RgbImage::from_pixel(w, h, Rgb(PAPER)),
        Backdrop::Blur => {
            let side = BLUR_SIDE as usize;
            let small = image::imageops::resize(photo, BLUR_SIDE, BLUR_SIDE, FilterType::Triangle);
            let alpha_img = GrayImage::from_fn(w, h, |x, y| {
                Luma([(alpha[(y * w + x) as usize] * 255.0).round() as u8])
            });
            let small_alpha =
                image::imageops::resize(&alpha_img, BLUR_SIDE, BLUR_SIDE, FilterType::Triangle);
            let weight: Vec<f32> = small_alpha
                .pixels()
                .map(|p| 1.0 - f32::from(p[0]) / 255.0)
                .collect();
            // Where no background is near, the background's mean colour (the whole photo's
            // when it is all subject) takes over smoothly.
            let total: f32 = weight.iter().sum();
            let mean = |c: usize| {
                if total > 1.0 {
                    small
                        .pixels()
                        .zip(&weight)
                        .map(|(p, w)| f32::from(p[c]) * w)
                        .sum::<f32>()
                        / total
                } else {
                    small.pixels().map(|p| f32::from(p[c])).sum::<f32>() / (side * side) as f32
                }
            };
            let den = gaussian_blur(&weight, side, side, BLUR_SIGMA);
            const PRIOR: f32 = 0.02;
            let channels: Vec<Vec<f32>> = (0..3)
                .map(|c| {
                    let weighted: Vec<f32> = small
                        .pixels()
                        .zip(&weight)
                        .map(|(p, w)| f32::from(p[c]) * w)
                        .collect();
                    let num = gaussian_blur(&weighted, side, side, BLUR_SIGMA);
                    let m = mean(c);
                    num.iter()
                        .zip(&den)
                        .map(|(n, d)| (n + PRIOR * m) / (d + PRIOR))
                        .collect()
                })
                .collect();
            let calm = RgbImage::from_fn(BLUR_SIDE, BLUR_SIDE, |x, y| {
                let i = (y * BLUR_SIDE + x) as usize;
                Rgb([0, 1, 2].map(|c| channels[c][i].clamp(0.0, 255.0).round() as u8))
            });
            image::imageops::resize(&calm, w, h, FilterType::Triangle)
        }
    }
}

/// The subject's opacity: the mask (255 subject, 128 undecided, 0 background) in [0, 1] with a
/// soft edge.
fn opacity(mask: &GrayImage) -> Vec<f32> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let hard: Vec<f32> = mask.pixels().map(|p| f32::from(p[0]) / 255.0).collect();
    gaussian_blur(&hard, w, h, FEATHER_SIGMA)
}

/// The target of a sketch on blank paper: `photo`'s subject (`mask`, same size: 255 subject,
/// 128 undecided, 0 background) laid over its backdrop, placed by `placement`; with the
/// subject's mask on the new canvas (255 where the subject is, for the sketch to be drawn
/// from).
pub fn calm_target(
    photo: &RgbImage,
    mask: &GrayImage,
    kind: Backdrop,
    placement: Placement,
) -> (RgbImage, GrayImage) {
    let (w, h) = photo.dimensions();
    // The trimaps' undecided band (128) goes to the background: the photo's own edge of the
    // cat lies somewhere in it, and kept half in, it would be drawn as a second outline beside
    // the mask's.
    let mask = &GrayImage::from_fn(w, h, |x, y| {
        Luma([if mask.get_pixel(x, y)[0] > 128 {
            255
        } else {
            0
        }])
    });
    let alpha = opacity(mask);
    let mut canvas = backdrop(photo, &alpha, kind);
    let scale = placement.scale.clamp(0.05, 1.0);
    let (sw, sh) = (
        ((w as f32 * scale).round() as u32).clamp(1, w),
        ((h as f32 * scale).round() as u32).clamp(1, h),
    );
    let (subject, subject_mask) = if (sw, sh) == (w, h) {
        (photo.clone(), mask.clone())
    } else {
        (
            image::imageops::resize(photo, sw, sh, FilterType::Triangle),
            image::imageops::resize(mask, sw, sh, FilterType::Triangle),
        )
    };
    let subject_alpha = opacity(&subject_mask);
    let x0 = ((w - sw) as f32 * placement.x.clamp(0.0, 1.0)).round() as u32;
    let y0 = ((h - sh) as f32 * placement.y.clamp(0.0, 1.0)).round() as u32;
    let mut placed = GrayImage::new(w, h);
    for y in 0..sh {
        for x in 0..sw {
            let a = subject_alpha[(y * sw + x) as usize].clamp(0.0, 1.0);
            let (s, c) = (
                subject.get_pixel(x, y),
                canvas.get_pixel_mut(x0 + x, y0 + y),
            );
            for k in 0..3 {
                c[k] = (f32::from(c[k]) + a * (f32::from(s[k]) - f32::from(c[k]))).round() as u8;
            }
            let inside = subject_mask.get_pixel(x, y)[0] >= 128;
            placed.put_pixel(x0 + x, y0 + y, Luma([if inside { 255 } else { 0 }]));
        }
    }
    (canvas, placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A striped background with an orange disc in the middle, and the disc's mask.
    fn busy_photo() -> (RgbImage, GrayImage) {
        let inside = |x: u32, y: u32| (x as i32 - 32).pow(2) + (y as i32 - 32).pow(2) < 14 * 14;
        let photo = RgbImage::from_fn(64, 64, |x, y| {
            if inside(x, y) {
                Rgb([220, 130, 40])
            } else if (x / 2) % 2 == 0 {
                Rgb([20, 90, 30])
            } else {
                Rgb([60, 160, 80])
            }
        });
        let mask = GrayImage::from_fn(64, 64, |x, y| Luma([if inside(x, y) { 255 } else { 0 }]));
        (photo, mask)
    }

    #[test]
    fn the_blurred_backdrop_keeps_the_background_colours_without_the_stripes_or_the_subject() {
        let (photo, mask) = busy_photo();
        let (target, placed) = calm_target(&photo, &mask, Backdrop::Blur, Placement::AS_IS);
        assert_eq!(placed, mask);
        // The subject is unchanged in its middle.
        assert_eq!(target.get_pixel(32, 32), photo.get_pixel(32, 32));
        // The background is the stripes' mean green, flat: no stripe left, no orange in it.
        for (x, y) in [(3, 3), (60, 10), (8, 55), (50, 58)] {
            let p = target.get_pixel(x, y);
            assert!(p[1] > p[0] + 40 && p[1] > p[2] + 30, "{p:?} at {x},{y}");
            assert!(p[0] < 60, "the subject's orange bled in: {p:?}");
        }
        // No stripes: neighbours along a row differ by a few levels at most (the stripes
        // alternate by 70).
        let row: Vec<u8> = (0..16).map(|x| target.get_pixel(x, 4)[1]).collect();
        let jump = row.windows(2).map(|p| p[0].abs_diff(p[1])).max().unwrap();
        assert!(jump <= 5, "stripes remain: {row:?}");
    }

    #[test]
    fn the_undecided_band_of_a_trimap_goes_to_the_background() {
        let (photo, mask) = busy_photo();
        let trimap = GrayImage::from_fn(64, 64, |x, y| {
            let r = (x as i32 - 32).pow(2) + (y as i32 - 32).pow(2);
            Luma([if r < 10 * 10 {
                255
            } else {
                mask.get_pixel(x, y)[0] / 2 + 1
            }])
        });
        let (_, placed) = calm_target(&photo, &trimap, Backdrop::Paper, Placement::AS_IS);
        assert!(placed.pixels().all(|p| p[0] == 0 || p[0] == 255));
        assert_eq!(placed.get_pixel(32, 32)[0], 255);
        assert_eq!(placed.get_pixel(32, 20)[0], 0, "in the band");
    }

    #[test]
    fn a_shrunk_subject_on_paper_moves_with_its_mask() {
        let (photo, mask) = busy_photo();
        let placement = Placement {
            scale: 0.5,
            x: 1.0,
            y: 0.0,
        };
        let (target, placed) = calm_target(&photo, &mask, Backdrop::Paper, placement);
        // The half-size disc sits in the top-right quarter: centre (48, 16).
        assert!(placed.get_pixel(48, 16)[0] > 0);
        assert_eq!(placed.get_pixel(32, 32)[0], 0);
        assert_eq!(target.get_pixel(48, 16), &Rgb([220, 130, 40]));
        assert_eq!(target.get_pixel(10, 50), &Rgb(PAPER));
        assert_eq!(target.get_pixel(32, 32), &Rgb(PAPER));
    }
}

//! Colour changes of whole images, for training: hue rotation and saturation in YIQ, where
//! luma (Y) stays put and chroma (I, Q) turns about the grey axis. A cat photo turned by any
//! angle is still a cat in plausible light, only in another coat colour; the hinted examples of
//! a run use them so a dab of any colour is followed (`crate::hints`), and the segmenter uses
//! them so its masks do not depend on the coat colours of the photos that have masks.

use image::{GrayImage, RgbImage};

/// A colour change: chroma turned by `hue` degrees and scaled by `saturation`, luma scaled by
/// `brightness`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recolour {
    /// Rotation of the hue, in degrees.
    pub hue: f32,
    /// Factor on the chroma (0: grey, 1: unchanged).
    pub saturation: f32,
    /// Factor on the luma (1: unchanged).
    pub brightness: f32,
}

impl Recolour {
    /// The change that changes nothing.
    pub const IDENTITY: Self = Self {
        hue: 0.0,
        saturation: 1.0,
        brightness: 1.0,
    };

    /// The 3×3 matrix acting on RGB in [0, 1]: RGB → YIQ, turn and scale, back to RGB.
    fn matrix(&self) -> [[f32; 3]; 3] {
        const TO_YIQ: [[f32; 3]; 3] = [
            [0.299, 0.587, 0.114],
            [0.596, -0.274, -0.322],
            [0.211, -0.523, 0.312],
        ];
        const TO_RGB: [[f32; 3]; 3] = [
            [1.0, 0.956, 0.621],
            [1.0, -0.272, -0.647],
            [1.0, -1.106, 1.703],
        ];
        let (sin, cos) = self.hue.to_radians().sin_cos();
        let s = self.saturation;
        let turn = [
            [self.brightness, 0.0, 0.0],
            [0.0, s * cos, -s * sin],
            [0.0, s * sin, s * cos],
        ];
        let product = |a: [[f32; 3]; 3], b: [[f32; 3]; 3]| {
            let mut m = [[0.0; 3]; 3];
            for (i, row) in m.iter_mut().enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
                }
            }
            m
        };
        product(TO_RGB, product(turn, TO_YIQ))
    }

    /// `img` with the change applied where `mask` is non-zero (in proportion to its value, so
    /// a soft mask blends), or everywhere without a mask (a mask of another size is ignored).
    pub fn apply(&self, img: &RgbImage, mask: Option<&GrayImage>) -> RgbImage {
        let m = self.matrix();
        let mask = mask.filter(|m| m.dimensions() == img.dimensions());
        let mut out = img.clone();
        for (x, y, p) in out.enumerate_pixels_mut() {
            let weight = mask.map_or(1.0, |m| f32::from(m.get_pixel(x, y)[0]) / 255.0);
            if weight == 0.0 {
                continue;
            }
            let rgb = p.0.map(|c| f32::from(c) / 255.0);
            for (c, row) in p.0.iter_mut().zip(m) {
                let changed = row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2];
                let before = f32::from(*c) / 255.0;
                let v = before + weight * (changed - before);
                *c = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn the_identity_keeps_every_pixel_and_grey_stays_grey_under_any_turn() {
        let img = RgbImage::from_fn(8, 8, |x, y| Rgb([(x * 30) as u8, (y * 30) as u8, 128]));
        let same = Recolour::IDENTITY.apply(&img, None);
        for (a, b) in img.pixels().zip(same.pixels()) {
            for c in 0..3 {
                assert!(a[c].abs_diff(b[c]) <= 1, "{a:?} {b:?}");
            }
        }
        let grey = RgbImage::from_pixel(4, 4, Rgb([120, 120, 120]));
        let turned = Recolour {
            hue: 137.0,
            ..Recolour::IDENTITY
        }
        .apply(&grey, None);
        assert!(
            turned
                .pixels()
                .all(|p| p.0.iter().all(|&c| c.abs_diff(120) <= 1))
        );
    }

    #[test]
    fn a_half_turn_makes_orange_blue_and_only_under_the_mask() {
        let orange = RgbImage::from_pixel(4, 2, Rgb([200, 120, 50]));
        let mask = GrayImage::from_fn(4, 2, |x, _| image::Luma([if x < 2 { 255 } else { 0 }]));
        let turned = Recolour {
            hue: 180.0,
            ..Recolour::IDENTITY
        }
        .apply(&orange, Some(&mask));
        let p = turned.get_pixel(0, 0);
        assert!(p[2] > p[0] + 60, "turned {p:?}");
        assert_eq!(turned.get_pixel(3, 1), orange.get_pixel(3, 1));
        let grey = Recolour {
            saturation: 0.0,
            ..Recolour::IDENTITY
        }
        .apply(&orange, None);
        let g = grey.get_pixel(1, 1);
        assert!(
            g[0].abs_diff(g[1]) <= 1 && g[1].abs_diff(g[2]) <= 1,
            "{g:?}"
        );
    }
}

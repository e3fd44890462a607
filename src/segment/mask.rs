//! From the segmenter's output to a mask, and its score: thresholding, the refinement pass
//! (largest region, holes filled) and the overlap with a trimap.

use super::BORDER;
use crate::model::{DropoutNoise, Generator, NormStats};
use crate::tensor_image::images_to_tensor;
use burn::tensor::Device;
use image::imageops::FilterType;
use image::{GrayImage, Luma, RgbImage};

/// The segmenter's mask of `photo`: 255 subject, 0 background, at the photo's size (the
/// network runs at its training side, 256², on the photo and its mirror image, and the mean
/// answer is scaled back).
pub fn predict(g: &Generator, stats: NormStats, photo: &RgbImage, device: &Device) -> GrayImage {
    let side = crate::model::SIZE_MULTIPLE as u32;
    let (w, h) = photo.dimensions();
    let resized = image::imageops::resize(photo, side, side, FilterType::Triangle);
    let mirrored = image::imageops::flip_horizontal(&resized);
    let x = images_to_tensor(&[&resized, &mirrored], device); // [2, 3, 256, 256]
    let y = g.forward(x, stats, None::<&mut DropoutNoise>); // [2, 1, 256, 256]
    let values = y
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default();
    // The photo and its mirror image, averaged (a cat is no more likely on either side).
    let plane = (side * side) as usize;
    let prob = GrayImage::from_fn(side, side, |x, y| {
        let at = |i: usize| values.get(i).copied().unwrap_or(-1.0).clamp(-1.0, 1.0);
        let v =
            0.5 * (at((y * side + x) as usize) + at(plane + (y * side + side - 1 - x) as usize));
        Luma([((v + 1.0) * 127.5).round() as u8])
    });
    let prob = if (w, h) == (side, side) {
        prob
    } else {
        image::imageops::resize(&prob, w, h, FilterType::Triangle)
    };
    GrayImage::from_fn(w, h, |x, y| {
        Luma([if prob.get_pixel(x, y)[0] >= 128 {
            255
        } else {
            0
        }])
    })
}

/// Keep only the largest connected region of `mask` (4-neighbours) and fill the holes inside
/// it: a cat is one piece without holes, and stray blobs in the background are the
/// segmenter's mistakes.
pub fn refine(mask: &GrayImage) -> GrayImage {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let fg: Vec<bool> = mask.pixels().map(|p| p[0] > 0).collect();
    let regions = |inside: &dyn Fn(usize) -> bool| -> Vec<Vec<usize>> {
        let mut seen = vec![false; w * h];
        let mut out = Vec::new();
        for start in 0..w * h {
            if !seen[start] && inside(start) {
                out.push(crate::grid::flood(w, h, [start], &mut seen, inside));
            }
        }
        out
    };
    let mut keep = vec![false; w * h];
    if let Some(largest) = regions(&|i| fg[i]).into_iter().max_by_key(Vec::len) {
        for i in largest {
            keep[i] = true;
        }
    }
    // Holes: background regions that do not touch the border.
    let kept = keep.clone();
    for region in regions(&|i| !kept[i]) {
        let touches_border = region
            .iter()
            .any(|&i| i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1);
        if !touches_border {
            for i in region {
                keep[i] = true;
            }
        }
    }
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        Luma([if keep[y as usize * w + x as usize] {
            255
        } else {
            0
        }])
    })
}

/// Pixels of agreement between a predicted mask and a trimap, its undecided border left out;
/// summed over photos, [`Overlap::iou`] is the score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overlap {
    /// Subject in both.
    pub intersection: u64,
    /// Subject in either.
    pub union: u64,
}

impl Overlap {
    /// Compare `predicted` (non-zero = subject) with `truth` (a trimap: 255, 128, 0), same size.
    pub fn of(predicted: &GrayImage, truth: &GrayImage) -> Self {
        let mut o = Self::default();
        for (p, t) in predicted.pixels().zip(truth.pixels()) {
            if t[0] == BORDER {
                continue;
            }
            let (a, b) = (p[0] > 0, t[0] > BORDER);
            o.intersection += u64::from(a && b);
            o.union += u64::from(a || b);
        }
        o
    }

    /// Intersection over union (1 when both are empty).
    pub fn iou(&self) -> f64 {
        if self.union == 0 {
            1.0
        } else {
            self.intersection as f64 / self.union as f64
        }
    }
}

impl std::ops::AddAssign for Overlap {
    fn add_assign(&mut self, other: Self) {
        self.intersection += other.intersection;
        self.union += other.union;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prediction_is_a_binary_mask_at_the_photo_size_and_mirrors_with_the_photo() {
        let device = Device::flex();
        let g = crate::model::seeded::seeded(&device, 3, || {
            crate::model::seeded::drawn(super::super::generator_config(4).init(&device))
        });
        let photo = RgbImage::from_fn(300, 200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
        });
        let mask = predict(&g, NormStats::Running, &photo, &device);
        assert_eq!(mask.dimensions(), (300, 200));
        assert!(mask.pixels().all(|p| p[0] == 0 || p[0] == 255));
        // The mirror average makes the answer for the mirrored photo the mirrored answer.
        let square = image::imageops::resize(&photo, 256, 256, FilterType::Triangle);
        let a = predict(&g, NormStats::Running, &square, &device);
        let b = predict(
            &g,
            NormStats::Running,
            &image::imageops::flip_horizontal(&square),
            &device,
        );
        let differ = a
            .pixels()
            .zip(image::imageops::flip_horizontal(&b).pixels())
            .filter(|(p, q)| p != q)
            .count();
        assert!(differ < 256 * 256 / 100, "{differ} pixels differ");
    }

    #[test]
    fn refine_keeps_the_largest_region_and_fills_its_holes() {
        let mut m = GrayImage::new(20, 20);
        for y in 2..14 {
            for x in 2..14 {
                m.put_pixel(x, y, Luma([255]));
            }
        }
        m.put_pixel(7, 7, Luma([0])); // a hole
        m.put_pixel(17, 17, Luma([255])); // a stray blob
        let r = refine(&m);
        assert_eq!(r.get_pixel(7, 7)[0], 255);
        assert_eq!(r.get_pixel(17, 17)[0], 0);
        assert_eq!(r.get_pixel(0, 0)[0], 0);
        assert_eq!(r.pixels().filter(|p| p[0] > 0).count(), 144);
    }

    #[test]
    fn overlap_leaves_the_border_out() {
        let truth = GrayImage::from_fn(4, 1, |x, _| Luma([[255, 255, 128, 0][x as usize]]));
        let predicted = GrayImage::from_fn(4, 1, |x, _| Luma([[255, 0, 255, 255][x as usize]]));
        let o = Overlap::of(&predicted, &truth);
        assert_eq!((o.intersection, o.union), (1, 3));
        assert!((o.iou() - 1.0 / 3.0).abs() < 1e-9);
    }
}

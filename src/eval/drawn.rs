//! Judging paintings of drawings, where there is no photo to compare with: what people see when
//! they draw a cat on blank paper. The drawing's silhouette (what its lines enclose,
//! [`silhouette`]) splits the painting into the cat and the paper around it, and each part is
//! compared with the photos' own statistics ([`Reference`]): the background should be calm
//! (little detail outside the silhouette), the cat as detailed and colourful as the photos'
//! cats, no streaks, and the colours of all paintings together those of all photos together
//! (the set-level histogram, [`SetHistogram`]).

use super::appearance::{colourfulness_of, histogram, streak_share};
use image::{GrayImage, Luma, RgbImage};

/// Gaps in a drawing's outline up to about twice this many pixels are closed before its
/// inside is found.
const GAP: usize = 3;

/// The region a line drawing encloses (255 inside or on a line, 0 outside): the paper that
/// cannot be reached from the picture's border without crossing ink, once the ink has been
/// widened by [`GAP`] pixels so that small breaks in the outline do not let the outside in.
/// `sketch` is dark lines on light paper.
pub fn silhouette(sketch: &RgbImage) -> GrayImage {
    let (w, h) = (sketch.width() as usize, sketch.height() as usize);
    let ink: Vec<bool> = sketch
        .pixels()
        .map(|p| (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) < 3 * 128)
        .collect();
    // Chebyshev dilation, separably: rows then columns.
    let mut rows = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(GAP), (x + GAP).min(w - 1));
            rows[y * w + x] = (a..=b).any(|u| ink[y * w + u]);
        }
    }
    let mut wall = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (y.saturating_sub(GAP), (y + GAP).min(h - 1));
            wall[y * w + x] = (a..=b).any(|v| rows[v * w + x]);
        }
    }
    let mut outside = vec![false; w * h];
    let border =
        (0..w * h).filter(|&i| i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1);
    crate::grid::flood(w, h, border, &mut outside, |j| !wall[j]);
    // The widened wall's outer GAP pixels are outside too: grow the outside back by GAP.
    let mut grown = outside.clone();
    for y in 0..h {
        for x in 0..w {
            if outside[y * w + x] || ink[y * w + x] {
                continue;
            }
            let near = (y.saturating_sub(GAP)..=(y + GAP).min(h - 1)).any(|v| {
                (x.saturating_sub(GAP)..=(x + GAP).min(w - 1)).any(|u| outside[v * w + u])
            });
            grown[y * w + x] = near;
        }
    }
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        Luma([if grown[y as usize * w + x as usize] {
            0
        } else {
            255
        }])
    })
}

/// Mean gradient magnitude of the luminance (σ 1 blur first, as
/// [`super::appearance::detail`]) over the pixels where `region` is non-zero; 0 for none.
pub fn detail_in(img: &RgbImage, region: &GrayImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let grey: Vec<f32> = img
        .pixels()
        .map(|p| {
            (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0
        })
        .collect();
    let l = crate::lines::gaussian_blur(&grey, w, h, 1.0);
    let (mut sum, mut n) = (0.0, 0usize);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            if region.get_pixel(x as u32, y as u32)[0] == 0 {
                continue;
            }
            let gx = f64::from(l[y * w + x + 1] - l[y * w + x - 1]) * 0.5;
            let gy = f64::from(l[(y + 1) * w + x] - l[(y - 1) * w + x]) * 0.5;
            sum += (gx * gx + gy * gy).sqrt();
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The complement of a region.
pub fn outside_of(region: &GrayImage) -> GrayImage {
    GrayImage::from_fn(region.width(), region.height(), |x, y| {
        Luma([if region.get_pixel(x, y)[0] > 0 {
            0
        } else {
            255
        }])
    })
}

/// The colour histogram of a whole set of images (8 bins per channel, normalised over all
/// their pixels together).
#[derive(Debug, Clone, Default)]
pub struct SetHistogram {
    sum: Vec<f64>,
    images: usize,
}

impl SetHistogram {
    /// Add an image.
    pub fn add(&mut self, img: &RgbImage) {
        let h = histogram(img);
        if self.sum.is_empty() {
            self.sum = vec![0.0; h.len()];
        }
        for (s, v) in self.sum.iter_mut().zip(h) {
            *s += v;
        }
        self.images += 1;
    }

    /// Intersection with another set's histogram: 1.0 when the two sets use the same colours
    /// in the same amounts, 0.0 when they share none.
    pub fn intersection(&self, other: &SetHistogram) -> f64 {
        let (a, b) = (self.images.max(1) as f64, other.images.max(1) as f64);
        self.sum
            .iter()
            .zip(&other.sum)
            .map(|(x, y)| (x / a).min(y / b))
            .sum()
    }
}

/// The photos' statistics that paintings of drawings are compared with.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    count: usize,
    detail: f64,
    detail_inside: f64,
    colour_inside: f64,
    streaks: f64,
    /// The colour histogram of all the photos.
    pub histogram: SetHistogram,
}

impl Reference {
    /// Add a photo with its subject's mask (non-zero = subject).
    pub fn add(&mut self, photo: &RgbImage, mask: &GrayImage) {
        self.count += 1;
        self.detail += super::appearance::detail(photo);
        self.detail_inside += detail_in(photo, mask);
        self.colour_inside += colourfulness_of(photo, Some(mask));
        self.streaks += streak_share(photo);
        self.histogram.add(photo);
    }

    /// Photos added.
    pub fn count(&self) -> usize {
        self.count
    }

    fn mean(&self, sum: f64) -> f64 {
        sum / self.count.max(1) as f64
    }
}

/// Running sums of the measures over paintings of drawings.
#[derive(Debug, Clone, Default)]
pub struct DrawnLook {
    count: usize,
    background_detail: f64,
    detail_inside: f64,
    colour_inside: f64,
    streaks: f64,
    /// The colour histogram of all the paintings.
    pub histogram: SetHistogram,
}

impl DrawnLook {
    /// Measure a painting of a drawing whose silhouette is `inside`.
    pub fn add(&mut self, painting: &RgbImage, inside: &GrayImage) {
        self.count += 1;
        self.background_detail += detail_in(painting, &outside_of(inside));
        self.detail_inside += detail_in(painting, inside);
        self.colour_inside += colourfulness_of(painting, Some(inside));
        self.streaks += streak_share(painting);
        self.histogram.add(painting);
    }

    fn mean(&self, sum: f64) -> f64 {
        sum / self.count.max(1) as f64
    }

    /// Mean detail outside the silhouettes ÷ the photos' mean detail (a calm background is
    /// under 0.3).
    pub fn background_detail_ratio(&self, r: &Reference) -> f64 {
        self.mean(self.background_detail) / r.mean(r.detail)
    }

    /// Mean detail inside the silhouettes ÷ the photos' mean detail inside their masks.
    pub fn detail_inside_ratio(&self, r: &Reference) -> f64 {
        self.mean(self.detail_inside) / r.mean(r.detail_inside)
    }

    /// Mean colourfulness inside the silhouettes ÷ the photos' inside their masks.
    pub fn colour_inside_ratio(&self, r: &Reference) -> f64 {
        self.mean(self.colour_inside) / r.mean(r.colour_inside)
    }

    /// Mean streak share ÷ the photos'.
    pub fn streak_ratio(&self, r: &Reference) -> f64 {
        self.mean(self.streaks) / r.mean(r.streaks)
    }

    /// The set-level colour histogram intersection with the photos.
    pub fn histogram_intersection(&self, r: &Reference) -> f64 {
        self.histogram.intersection(&r.histogram)
    }
}

/// How far `painting` moved toward `colour` over `region` compared with `before` (the same
/// drawing painted without the dab): the mean over the region's pixels of the change along the
/// dab colour's chroma direction (its colour minus its grey), on the 0–1 scale. Positive: the
/// region took on the dab's colour.
pub fn shift_toward(
    before: &RgbImage,
    painting: &RgbImage,
    region: &GrayImage,
    colour: [u8; 3],
) -> f64 {
    let c = colour.map(f64::from);
    let grey = (c[0] + c[1] + c[2]) / 3.0;
    let dir = c.map(|v| v - grey);
    let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-9);
    let (mut sum, mut n) = (0.0, 0usize);
    for (x, y, p) in painting.enumerate_pixels() {
        if region.get_pixel(x, y)[0] == 0 {
            continue;
        }
        let q = before.get_pixel(x, y);
        let change: f64 = (0..3)
            .map(|k| (f64::from(p[k]) - f64::from(q[k])) * dir[k])
            .sum();
        sum += change / norm / 255.0;
        n += 1;
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A circle outline with a small break in it, on white.
    fn broken_circle() -> RgbImage {
        RgbImage::from_fn(64, 64, |x, y| {
            let r = (f64::from(x) - 32.0).hypot(f64::from(y) - 32.0);
            let on_line = (r - 20.0).abs() < 1.0 && !(x > 50 && (30..=33).contains(&y));
            Rgb(if on_line { [0, 0, 0] } else { [255, 255, 255] })
        })
    }

    #[test]
    fn the_silhouette_is_what_the_outline_encloses_even_with_a_break() {
        let s = silhouette(&broken_circle());
        assert_eq!(s.get_pixel(32, 32)[0], 255);
        assert_eq!(s.get_pixel(45, 32)[0], 255);
        assert_eq!(s.get_pixel(2, 2)[0], 0);
        assert_eq!(s.get_pixel(32, 5)[0], 0, "just outside the line");
        let inside = s.pixels().filter(|p| p[0] > 0).count() as f64;
        let disc = std::f64::consts::PI * 21.0 * 21.0;
        assert!((inside / disc - 1.0).abs() < 0.1, "{inside} vs {disc}");
    }

    #[test]
    fn a_busy_background_and_a_blue_shift_are_measured_where_they_are() {
        let drawing = broken_circle();
        let inside = silhouette(&drawing);
        let calm = RgbImage::from_fn(64, 64, |x, y| {
            Rgb(if inside.get_pixel(x, y)[0] > 0 {
                [200, 130, 60]
            } else {
                [230, 230, 225]
            })
        });
        let busy = RgbImage::from_fn(64, 64, |x, y| {
            if inside.get_pixel(x, y)[0] > 0 {
                Rgb([200, 130, 60])
            } else if (x + y) % 4 < 2 {
                Rgb([20, 20, 20])
            } else {
                Rgb([240, 240, 240])
            }
        });
        // Only the cat's own edge, seen from just outside, counts in the calm painting.
        let (calm_detail, busy_detail) = (
            detail_in(&calm, &outside_of(&inside)),
            detail_in(&busy, &outside_of(&inside)),
        );
        assert!(calm_detail < 0.02, "{calm_detail}");
        assert!(
            busy_detail > 5.0 * calm_detail,
            "{busy_detail} vs {calm_detail}"
        );
        let blue = RgbImage::from_fn(64, 64, |x, y| {
            Rgb(if inside.get_pixel(x, y)[0] > 0 {
                [60, 90, 200]
            } else {
                [230, 230, 225]
            })
        });
        let toward_blue = shift_toward(&calm, &blue, &inside, [40, 80, 220]);
        assert!(toward_blue > 0.2, "{toward_blue}");
        assert!(shift_toward(&calm, &calm, &inside, [40, 80, 220]).abs() < 1e-12);
        let mut set = SetHistogram::default();
        set.add(&calm);
        assert!((set.intersection(&set) - 1.0).abs() < 1e-9);
    }
}

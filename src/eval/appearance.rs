//! Measures of what people see in a painting, beside the pixel scores: how colourful it is,
//! whether its colours are the photos', whether it carries the stride-2 checkerboard of
//! transposed convolutions (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts") or
//! long horizontal and vertical streaks, and how much detail it has. Each is reported as a ratio of the paintings' mean to the photos'
//! mean (1.0: like the photos), except the histogram intersection, which compares each
//! painting with its own photo.

use image::{GrayImage, RgbImage};

/// Hasler and Süsstrunk's colourfulness (2003, "Measuring colourfulness in natural images"):
/// `sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²)` with `rg = R − G`, `yb = (R + G) / 2 − B`
/// on the 0–255 scale.
pub fn colourfulness(img: &RgbImage) -> f64 {
    colourfulness_of(img, None)
}

/// [`colourfulness`] over the pixels where `region` (same size) is non-zero, or all of them.
pub fn colourfulness_of(img: &RgbImage, region: Option<&GrayImage>) -> f64 {
    let region = region.filter(|r| r.dimensions() == img.dimensions());
    let mut n = 0usize;
    let (mut s_rg, mut s_yb, mut q_rg, mut q_yb) = (0.0, 0.0, 0.0, 0.0);
    for (x, y, p) in img.enumerate_pixels() {
        if region.is_some_and(|r| r.get_pixel(x, y)[0] == 0) {
            continue;
        }
        n += 1;
        let [r, g, b] = p.0.map(f64::from);
        let rg = r - g;
        let yb = 0.5 * (r + g) - b;
        s_rg += rg;
        s_yb += yb;
        q_rg += rg * rg;
        q_yb += yb * yb;
    }
    let n = n.max(1) as f64;
    let (m_rg, m_yb) = (s_rg / n, s_yb / n);
    let var_rg = (q_rg / n - m_rg * m_rg).max(0.0);
    let var_yb = (q_yb / n - m_yb * m_yb).max(0.0);
    (var_rg + var_yb).sqrt() + 0.3 * (m_rg * m_rg + m_yb * m_yb).sqrt()
}

/// Bins per channel of the colour histograms.
const BINS: usize = 8;

/// Normalised RGB histogram with [`BINS`]³ cells.
pub(crate) fn histogram(img: &RgbImage) -> Vec<f64> {
    let mut h = vec![0.0; BINS * BINS * BINS];
    let bin = |v: u8| usize::from(v) * BINS / 256;
    for p in img.pixels() {
        h[(bin(p[0]) * BINS + bin(p[1])) * BINS + bin(p[2])] += 1.0;
    }
    let n = (img.width() * img.height()).max(1) as f64;
    h.iter_mut().for_each(|v| *v /= n);
    h
}

/// Intersection of the two images' colour histograms (8 bins per channel): 1.0 when they use
/// the same colours in the same amounts, 0.0 when they share none.
pub fn histogram_intersection(a: &RgbImage, b: &RgbImage) -> f64 {
    histogram(a)
        .iter()
        .zip(histogram(b))
        .map(|(x, y)| x.min(y))
        .sum()
}

/// Rec. 601 luminance on the 0–1 scale.
fn luminance(img: &RgbImage) -> Vec<f64> {
    img.pixels()
        .map(|p| {
            (0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])) / 255.0
        })
        .collect()
}

/// The spectral power of `l` without its DC term (`N · Σ l² − (Σ l)²` by Parseval), or `None`
/// for a flat image, whose power is rounding noise (a ratio of two such noises is anything).
fn ac_power(l: &[f64]) -> Option<f64> {
    let all = l.len() as f64 * l.iter().map(|v| v * v).sum::<f64>();
    let total = all - l.iter().sum::<f64>().powi(2);
    (total > 1e-9 * all).then_some(total)
}

/// Share of the luminance's spectral power (DC excluded) on the period-2 row and column of its
/// 2-D DFT, where a stride-2 checkerboard puts its energy. Computed without an FFT: by Parseval
/// along the other axis, the power on the Nyquist row is `W · Σ_x (Σ_y (−1)^y l(x, y))²`, and
/// likewise for the column; their shared corner is counted once.
pub fn checkerboard_share(img: &RgbImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 2 || h < 2 {
        return 0.0;
    }
    let l = luminance(img);
    let sign = |i: usize| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
    let row: f64 = (0..w)
        .map(|x| (0..h).map(|y| sign(y) * l[y * w + x]).sum::<f64>().powi(2))
        .sum::<f64>()
        * w as f64;
    let col: f64 = (0..h)
        .map(|y| (0..w).map(|x| sign(x) * l[y * w + x]).sum::<f64>().powi(2))
        .sum::<f64>()
        * h as f64;
    let corner: f64 = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| sign(x) * sign(y) * l[y * w + x])
        .sum::<f64>()
        .powi(2);
    let Some(total) = ac_power(&l) else {
        return 0.0;
    };
    (row + col - corner) / total
}

/// Share of the luminance's spectral power in thin, long streaks: frequencies near zero along
/// one axis (−1, 0 or 1: the line runs across the picture) and high along the other (a period
/// of [`STREAK_PERIOD`] pixels or less: the line is thin). Horizontal streaks across a
/// painting (a decoder spreading a narrow feature along a row) and vertical ones put their
/// energy there. A Hann window is applied first, or the picture's borders (the DFT wraps
/// around) would put energy there for any image; it spreads frequency 0 over exactly −1, 0 and
/// 1, hence three. A photo's own straight edges count too, which is why it is read as a ratio
/// to the photos'.
pub fn streak_share(img: &RgbImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < STREAK_PERIOD || h < STREAK_PERIOD {
        return 0.0;
    }
    let l = luminance(img);
    if ac_power(&l).is_none() {
        return 0.0; // flat: what is left after taking the mean away is rounding noise
    }
    let mean = l.iter().sum::<f64>() / l.len() as f64;
    let hann = |i: usize, n: usize| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
    let l: Vec<f64> = l
        .iter()
        .enumerate()
        .map(|(i, v)| (v - mean) * hann(i % w, w) * hann(i / w, h))
        .collect();
    let Some(total) = ac_power(&l) else {
        return 0.0;
    };
    let rows: Vec<Vec<(f64, f64)>> = (0..h)
        .map(|y| (0..w).map(|x| (l[y * w + x], 0.0)).collect())
        .collect();
    let columns: Vec<Vec<(f64, f64)>> = (0..w)
        .map(|x| (0..h).map(|y| (l[y * w + x], 0.0)).collect())
        .collect();
    (thin_lines(&rows) + thin_lines(&columns)) / total
}

/// Streaks are lines of this period or less across the line (8: a few pixels thick).
const STREAK_PERIOD: usize = 8;

/// The 2-D spectral power of `lines` (equally long sequences, stacked) at frequency −1, 0 or 1
/// along them and at least `n / STREAK_PERIOD` across them (`n` lines). Per frequency `k`
/// along: the across-sequence `s_j = DFT_k(line j)` has total power `n · Σ |s_j|²` (Parseval),
/// from which its low frequencies, computed directly, are taken away.
fn thin_lines(lines: &[Vec<(f64, f64)>]) -> f64 {
    let n = lines.len();
    let low = (n / STREAK_PERIOD) as i64;
    let power = |c: (f64, f64)| c.0 * c.0 + c.1 * c.1;
    let mut sum = 0.0;
    for k in -1..=1 {
        let across: Vec<(f64, f64)> = lines.iter().map(|line| dft_at(line, k)).collect();
        let all = n as f64 * across.iter().map(|&c| power(c)).sum::<f64>();
        let near: f64 = (1 - low..low).map(|q| power(dft_at(&across, q))).sum();
        sum += (all - near).max(0.0);
    }
    sum
}

/// `Σ_j x_j · e^{−2πi k j / n}` of a complex sequence, as (re, im).
fn dft_at(x: &[(f64, f64)], k: i64) -> (f64, f64) {
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .fold((0.0, 0.0), |(re, im), (j, &(a, b))| {
            let (sin, cos) = (-std::f64::consts::TAU * k as f64 * j as f64 / n).sin_cos();
            (re + a * cos - b * sin, im + a * sin + b * cos)
        })
}

/// Mean gradient magnitude (central differences) of the luminance after a Gaussian blur of
/// σ = 1, so pixel noise counts little and edges and texture count.
pub fn detail(img: &RgbImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let grey: Vec<f32> = luminance(img).iter().map(|&v| v as f32).collect();
    let l: Vec<f64> = crate::lines::gaussian_blur(&grey, w, h, 1.0)
        .into_iter()
        .map(f64::from)
        .collect();
    let mut sum = 0.0;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = (l[y * w + x + 1] - l[y * w + x - 1]) * 0.5;
            let gy = (l[(y + 1) * w + x] - l[(y - 1) * w + x]) * 0.5;
            sum += (gx * gx + gy * gy).sqrt();
        }
    }
    sum / ((w - 2) * (h - 2)) as f64
}

/// Running sums of the appearance measures over paintings and their photos.
#[derive(Debug, Clone, Copy, Default)]
pub struct Appearance {
    count: usize,
    colour: [f64; 2],
    checker: [f64; 2],
    streaks: [f64; 2],
    detail: [f64; 2],
    intersection: f64,
}

impl Appearance {
    /// Measure one painting and its photo.
    pub fn add(&mut self, painting: &RgbImage, photo: &RgbImage) {
        self.count += 1;
        for (sums, f) in [
            (&mut self.colour, colourfulness as fn(&RgbImage) -> f64),
            (&mut self.checker, checkerboard_share),
            (&mut self.streaks, streak_share),
            (&mut self.detail, detail),
        ] {
            sums[0] += f(painting);
            sums[1] += f(photo);
        }
        self.intersection += histogram_intersection(painting, photo);
    }

    fn ratio(sums: [f64; 2]) -> f64 {
        if sums[1] > 0.0 {
            sums[0] / sums[1]
        } else {
            f64::NAN
        }
    }

    /// Paintings' mean colourfulness ÷ the photos'.
    pub fn colourfulness_ratio(&self) -> f64 {
        Self::ratio(self.colour)
    }

    /// Paintings' mean checkerboard share ÷ the photos'.
    pub fn checkerboard_ratio(&self) -> f64 {
        Self::ratio(self.checker)
    }

    /// Paintings' mean streak share ÷ the photos'.
    pub fn streak_ratio(&self) -> f64 {
        Self::ratio(self.streaks)
    }

    /// Paintings' mean detail ÷ the photos'.
    pub fn detail_ratio(&self) -> f64 {
        Self::ratio(self.detail)
    }

    /// Mean histogram intersection of each painting with its photo.
    pub fn histogram_intersection(&self) -> f64 {
        self.intersection / self.count.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = f(x, y);
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn each_measure_sees_what_it_is_for() {
        let checker = grey(16, 16, |x, y| if (x + y) % 2 == 0 { 200 } else { 50 });
        // Thin stripes across the whole picture (period 4), and a slow ramp (not a streak).
        let rows = grey(32, 32, |_, y| if y % 4 < 2 { 200 } else { 40 });
        let columns = grey(32, 32, |x, _| if x % 4 < 2 { 200 } else { 40 });
        let ramp = grey(32, 32, |_, y| (y * 6) as u8);
        // A diagonal pattern at frequency (8, 8): none near either axis, none at period 2.
        let diagonal = grey(32, 32, |x, y| {
            let t = (x + y) as f64 * std::f64::consts::TAU * 8.0 / 32.0;
            (128.0 + 100.0 * t.cos()).round() as u8
        });
        assert!((checkerboard_share(&checker) - 1.0).abs() < 1e-9);
        assert!(streak_share(&rows) > 0.95, "{}", streak_share(&rows));
        assert!(streak_share(&columns) > 0.95, "{}", streak_share(&columns));
        assert!(streak_share(&ramp) < 0.05, "{}", streak_share(&ramp));
        assert!(
            streak_share(&diagonal) < 1e-3,
            "{}",
            streak_share(&diagonal)
        );
        assert!(checkerboard_share(&diagonal) < 1e-3);
        assert_eq!(streak_share(&grey(32, 32, |_, _| 90)), 0.0);
        assert_eq!(colourfulness(&checker), 0.0);
        let red = RgbImage::from_pixel(8, 8, image::Rgb([255, 0, 0]));
        assert!(colourfulness(&red) > 50.0);
        assert_eq!(histogram_intersection(&red, &red), 1.0);
        assert_eq!(histogram_intersection(&red, &checker), 0.0);
        assert_eq!(checkerboard_share(&grey(8, 8, |_, _| 90)), 0.0);
        assert_eq!(detail(&grey(8, 8, |_, _| 90)), 0.0);
        assert!(detail(&rows) > 0.0);
    }
}

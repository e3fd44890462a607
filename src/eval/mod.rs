//! Image quality measures for evaluating a model on held-out pairs: mean absolute error and
//! SSIM (Wang et al. 2004), both on 8-bit RGB images scaled to [0, 1].

pub mod appearance;
pub mod drawn;

use image::RgbImage;

/// Mean absolute difference over all pixels and channels, on the [0, 1] scale.
///
/// # Panics
/// If the images differ in size.
pub fn l1(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "l1 of images of different size"
    );
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / (a.as_raw().len() as f64 * 255.0)
}

/// Structural similarity, the mean over pixels and the three channels of the SSIM map computed
/// with the usual 11×11 Gaussian window (σ 1.5) and constants K1 = 0.01, K2 = 0.03 (L = 1).
/// Windows are clipped at the borders (the border pixels are kept, weights renormalised).
///
/// # Panics
/// If the images differ in size.
pub fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "ssim of images of different size"
    );
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let kernel = gaussian(1.5, 5);
    let mut total = 0.0;
    for c in 0..3 {
        let plane = |img: &RgbImage| -> Vec<f64> {
            img.pixels().map(|p| f64::from(p[c]) / 255.0).collect()
        };
        let (x, y) = (plane(a), plane(b));
        let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
        let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
        let xy: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p * q).collect();
        let [mx, my, sxx, syy, sxy] = [&x, &y, &xx, &yy, &xy].map(|p| blur(p, w, h, &kernel));
        for i in 0..w * h {
            let (mu_x, mu_y) = (mx[i], my[i]);
            let var_x = (sxx[i] - mu_x * mu_x).max(0.0);
            let var_y = (syy[i] - mu_y * mu_y).max(0.0);
            let cov = sxy[i] - mu_x * mu_y;
            total += ((2.0 * mu_x * mu_y + c1) * (2.0 * cov + c2))
                / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2));
        }
    }
    total / (3 * w * h) as f64
}

fn gaussian(sigma: f64, radius: usize) -> Vec<f64> {
    let k: Vec<f64> = (0..=2 * radius)
        .map(|i| {
            let d = i as f64 - radius as f64;
            (-d * d / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let s: f64 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Separable weighted average with the kernel clipped (and renormalised) at the borders.
///
/// SSIM's own window, not [`crate::lines::gaussian_blur`] (the sketch extractor's, also used by
/// the detail measure): SSIM's local moments are defined with the window renormalised at the
/// borders (Wang et al. 2004), and `E[x²] − E[x]²` needs f64 to avoid cancellation.
fn blur(plane: &[f64], w: usize, h: usize, kernel: &[f64]) -> Vec<f64> {
    let r = kernel.len() / 2;
    let pass = |src: &[f64], horizontal: bool| -> Vec<f64> {
        let mut out = vec![0.0; w * h];
        for yy in 0..h {
            for xx in 0..w {
                let (pos, len) = if horizontal { (xx, w) } else { (yy, h) };
                let (mut acc, mut norm) = (0.0, 0.0);
                let lo = pos.saturating_sub(r);
                let hi = (pos + r).min(len - 1);
                for q in lo..=hi {
                    let k = kernel[q + r - pos];
                    let v = if horizontal {
                        src[yy * w + q]
                    } else {
                        src[q * w + xx]
                    };
                    acc += k * v;
                    norm += k;
                }
                out[yy * w + xx] = acc / norm;
            }
        }
        out
    };
    pass(&pass(plane, true), false)
}

/// Running means of the scores over an evaluation set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scores {
    /// Images scored.
    pub count: usize,
    l1_sum: f64,
    ssim_sum: f64,
}

impl Scores {
    /// Score one output against its target.
    pub fn add(&mut self, output: &RgbImage, target: &RgbImage) {
        self.count += 1;
        self.l1_sum += l1(output, target);
        self.ssim_sum += ssim(output, target);
    }

    /// Mean L1 on the [0, 1] scale.
    pub fn l1(&self) -> f64 {
        self.l1_sum / self.count.max(1) as f64
    }

    /// Mean SSIM.
    pub fn ssim(&self) -> f64 {
        self.ssim_sum / self.count.max(1) as f64
    }
}

/// The per-channel mean colour of a set of images, as one constant image of `size`.
pub fn mean_colour_image<'a>(
    images: impl IntoIterator<Item = &'a RgbImage>,
    size: u32,
) -> RgbImage {
    let (mut sum, mut n) = ([0f64; 3], 0u64);
    for img in images {
        for p in img.pixels() {
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1;
        }
    }
    let mean = sum.map(|s| (s / n.max(1) as f64).round() as u8);
    RgbImage::from_pixel(size, size, image::Rgb(mean))
}

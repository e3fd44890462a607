//! Photo → line drawing, so that plain photos can train the model and be opened as sketches.
//!
//! What pix2pix did to make its edges2cats / edges2shoes inputs, with Canny in place of HED:
//! Gaussian smoothing, gradient magnitude and direction (Sobel), non-maximum suppression (thin,
//! one-pixel ridges), hysteresis thresholds relative to the image's own gradient distribution,
//! then removal of fragments shorter than a few pixels, which a person would never draw. An
//! optional foreground mask drops lines that lie in the background. Lines are then drawn at a
//! pen-like width with soft edges.
//!
//! Not `imageproc` (as its docs describe it): its `edges::canny` takes absolute thresholds
//! and keeps non-maximum suppression and hysteresis private, so only its Gaussian blur and Sobel
//! filters could stand in for the two small ones here; and this extractor defines the sketches
//! the shipped models were trained on and the v2 run still trains on, which another blur
//! (other kernel truncation and borders) would redraw slightly. The relative thresholds,
//! fragment removal, masks and pen widths are pix2paint's own either way.

use image::{GrayImage, Luma, RgbImage};

/// Extractor settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LineConfig {
    /// Gaussian σ in pixels before the gradient (larger: fewer, smoother lines).
    pub sigma: f32,
    /// High hysteresis threshold as a quantile of the gradient magnitudes (0–1).
    pub high_quantile: f32,
    /// Low threshold as a fraction of the high one.
    pub low_ratio: f32,
    /// Floor of the high threshold, in gradient units (Sobel of [0, 1] grey after smoothing),
    /// and as a fraction of the strongest edges (99th percentile): noise and texture in flat
    /// areas stay below it however little else the photo has.
    pub min_gradient: f32,
    /// Fraction of the 99th-percentile gradient the high threshold never goes below.
    pub min_relative: f32,
    /// Connected line fragments with fewer pixels than this are dropped.
    pub min_fragment: usize,
    /// Drawn line width in pixels.
    pub width: f32,
}

impl Default for LineConfig {
    fn default() -> Self {
        Self {
            sigma: 2.0,
            high_quantile: 0.88,
            low_ratio: 0.45,
            min_gradient: 0.05,
            min_relative: 0.25,
            min_fragment: 12,
            width: 1.6,
        }
    }
}

/// Extract a line drawing (255 paper, 0 ink) from a photo. `mask`, when given, is a foreground
/// mask of the same size (non-zero = foreground); lines more than a few pixels outside it are
/// dropped.
pub fn extract_lines(photo: &RgbImage, mask: Option<&GrayImage>, cfg: &LineConfig) -> GrayImage {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let mut edges = edge_bits(photo, mask, cfg);
    remove_small_components(&mut edges, w, h, cfg.min_fragment);
    draw_lines(&edges, w, h, cfg.width)
}

/// What people draw rather than what an edge detector finds: the subject's silhouette (the
/// boundary of its foreground `mask`), plus, when `interior` is given, only the strongest edges
/// inside it (the `interior` quantile of the gradients: eyes, nose, the main folds), drawn at
/// `cfg.width`.
pub fn outline_lines(
    photo: &RgbImage,
    mask: &GrayImage,
    cfg: &LineConfig,
    interior: Option<f32>,
) -> GrayImage {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let fg = mask_bits(mask, w, h);
    let mut edges: Vec<bool> = (0..w * h)
        .map(|i| fg[i] && neighbours(i, w, h).any(|j| !fg[j]))
        .collect();
    if let Some(q) = interior {
        let strong = LineConfig {
            high_quantile: q,
            min_relative: cfg.min_relative.max(0.5),
            ..cfg.clone()
        };
        let inner = edge_bits(photo, Some(mask), &strong);
        for (e, i) in edges.iter_mut().zip(inner) {
            *e |= i;
        }
    }
    remove_small_components(&mut edges, w, h, cfg.min_fragment);
    draw_lines(&edges, w, h, cfg.width)
}

/// A line drawing of a different kind from [`extract_lines`]: the eXtended Difference of
/// Gaussians (Winnemöller, Kyprianidis and Olsen 2012, "XDoG: An eXtended difference-of-Gaussians
/// compendium"), `D = G_σ − τ·G_{kσ}` of the luminance, soft-thresholded: paper where
/// `D ≥ ε`, `1 + tanh(φ·(D − ε))` below. It draws filled dark regions and varying line
/// weights, as a pencil drawing does, where Canny draws even one-pixel contours: the
/// evaluation uses it to check that a model does not only know its own extractor.
pub fn xdog_lines(photo: &RgbImage) -> GrayImage {
    const SIGMA: f32 = 1.0;
    const K: f32 = 1.6;
    const TAU: f32 = 0.98;
    const EPSILON: f32 = 0.0;
    const PHI: f32 = 100.0;
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let grey: Vec<f32> = photo
        .pixels()
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
        .collect();
    let (g1, g2) = (
        gaussian_blur(&grey, w, h, SIGMA),
        gaussian_blur(&grey, w, h, K * SIGMA),
    );
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        let i = y as usize * w + x as usize;
        let d = g1[i] - TAU * g2[i];
        let v = if d >= EPSILON {
            1.0
        } else {
            1.0 + (PHI * (d - EPSILON)).tanh()
        };
        Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
    })
}

/// One-pixel edges of `photo` (Canny with relative thresholds), inside `mask` when given.
fn edge_bits(photo: &RgbImage, mask: Option<&GrayImage>, cfg: &LineConfig) -> Vec<bool> {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let grey: Vec<f32> = photo
        .pixels()
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
        .collect();
    let smooth = gaussian_blur(&grey, w, h, cfg.sigma);
    let (mag, dir) = sobel(&smooth, w, h);
    let thin = non_max_suppression(&mag, &dir, w, h);
    let high = quantile_of_positive(&thin, cfg.high_quantile)
        .max(cfg.min_relative * quantile_of_positive(&thin, 0.99))
        .max(cfg.min_gradient);
    let mut edges = hysteresis(&thin, w, h, high, high * cfg.low_ratio);
    if let Some(mask) = mask {
        let near = dilate(&mask_bits(mask, w, h), w, h, 3);
        for (e, keep) in edges.iter_mut().zip(near) {
            *e &= keep;
        }
    }
    edges
}

fn mask_bits(mask: &GrayImage, w: usize, h: usize) -> Vec<bool> {
    let resized;
    let m = if mask.dimensions() == (w as u32, h as u32) {
        mask
    } else {
        resized = image::imageops::resize(
            mask,
            w as u32,
            h as u32,
            image::imageops::FilterType::Nearest,
        );
        &resized
    };
    m.pixels().map(|p| p[0] > 0).collect()
}

/// Separable Gaussian blur of a `w`×`h` plane with clamped borders (also used by the
/// evaluation's detail measure).
pub(crate) fn gaussian_blur(src: &[f32], w: usize, h: usize, sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return src.to_vec();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let clampi = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kv)| kv * src[y * w + clampi(x as isize + k as isize - r, w)])
                .sum();
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, kv)| kv * tmp[clampi(y as isize + k as isize - r, h) * w + x])
                .sum();
        }
    }
    out
}

/// Gradient magnitude and direction (quantised to 0°, 45°, 90°, 135° as 0..4).
fn sobel(src: &[f32], w: usize, h: usize) -> (Vec<f32>, Vec<u8>) {
    let mut mag = vec![0f32; w * h];
    let mut dir = vec![0u8; w * h];
    let at = |x: isize, y: isize| {
        src[(y.clamp(0, h as isize - 1) as usize) * w + x.clamp(0, w as isize - 1) as usize]
    };
    for y in 0..h as isize {
        for x in 0..w as isize {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            let i = y as usize * w + x as usize;
            mag[i] = (gx * gx + gy * gy).sqrt();
            let angle = gy.atan2(gx).to_degrees().rem_euclid(180.0);
            dir[i] = (((angle + 22.5) / 45.0) as u8) % 4;
        }
    }
    (mag, dir)
}

fn non_max_suppression(mag: &[f32], dir: &[u8], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; w * h];
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            let (a, b) = match dir[i] {
                0 => (i - 1, i + 1),
                1 => (i - w - 1, i + w + 1),
                2 => (i - w, i + w),
                _ => (i - w + 1, i + w - 1),
            };
            if mag[i] >= mag[a] && mag[i] >= mag[b] {
                out[i] = mag[i];
            }
        }
    }
    out
}

fn quantile_of_positive(v: &[f32], q: f32) -> f32 {
    let mut pos: Vec<f32> = v.iter().copied().filter(|&x| x > 0.0).collect();
    if pos.is_empty() {
        return 0.0;
    }
    pos.sort_by(f32::total_cmp);
    pos[((pos.len() - 1) as f32 * q.clamp(0.0, 1.0)) as usize]
}

fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = ((i % w) as isize, (i / w) as isize);
    (-1..=1isize)
        .flat_map(move |dy| (-1..=1isize).map(move |dx| (x + dx, y + dy)))
        .filter(move |&(nx, ny)| {
            (nx, ny) != (x, y) && nx >= 0 && ny >= 0 && nx < w as isize && ny < h as isize
        })
        .map(move |(nx, ny)| ny as usize * w + nx as usize)
}

fn hysteresis(thin: &[f32], w: usize, h: usize, high: f32, low: f32) -> Vec<bool> {
    let mut out = vec![false; w * h];
    let mut stack: Vec<usize> = (0..w * h).filter(|&i| thin[i] >= high).collect();
    for &i in &stack {
        out[i] = true;
    }
    while let Some(i) = stack.pop() {
        for n in neighbours(i, w, h) {
            if !out[n] && thin[n] >= low {
                out[n] = true;
                stack.push(n);
            }
        }
    }
    out
}

fn dilate(bits: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut out = bits.to_vec();
    for _ in 0..r {
        let prev = out.clone();
        for (i, o) in out.iter_mut().enumerate() {
            if !prev[i] && neighbours(i, w, h).any(|n| prev[n]) {
                *o = true;
            }
        }
    }
    out
}

fn remove_small_components(bits: &mut [bool], w: usize, h: usize, min: usize) {
    let mut seen = vec![false; w * h];
    for start in 0..w * h {
        if !bits[start] || seen[start] {
            continue;
        }
        let mut component = vec![start];
        seen[start] = true;
        let mut k = 0;
        while k < component.len() {
            let i = component[k];
            k += 1;
            for n in neighbours(i, w, h) {
                if bits[n] && !seen[n] {
                    seen[n] = true;
                    component.push(n);
                }
            }
        }
        if component.len() < min {
            for i in component {
                bits[i] = false;
            }
        }
    }
}

/// Draw each edge pixel as a soft disc of the given width.
fn draw_lines(bits: &[bool], w: usize, h: usize, width: f32) -> GrayImage {
    let r = width / 2.0;
    let reach = (r + 1.0).ceil() as isize;
    let mut ink = vec![0f32; w * h];
    for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                    continue;
                }
                let d = ((dx * dx + dy * dy) as f32).sqrt();
                let c = (r + 0.5 - d).clamp(0.0, 1.0);
                let j = ny as usize * w + nx as usize;
                ink[j] = ink[j].max(c);
            }
        }
    }
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        Luma([(255.0 * (1.0 - ink[y as usize * w + x as usize])).round() as u8])
    })
}

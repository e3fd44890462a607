//! Timing helpers shared by the benches: medians, the test sketch, a timed forward pass.

use burn::tensor::Tensor;
use pix2paint::model::NormStats;
use std::time::Instant;

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The sketch every case paints: the first example of `assets/` (a cat's head drawn in the
/// app) at 256², or, should it not decode, a blank page (the timing is the same).
pub(super) fn test_sketch() -> image::RgbImage {
    match pix2paint::assets::example(0) {
        Some(Ok(head)) => {
            let rgb = image::DynamicImage::ImageLuma8(head).to_rgb8();
            image::imageops::resize(&rgb, 256, 256, image::imageops::FilterType::Triangle)
        }
        _ => image::RgbImage::from_pixel(256, 256, image::Rgb([255, 255, 255])),
    }
}

/// Time `runs` forwards of the generator, returning the median in ms and the last output.
pub(super) fn time_forward(
    g: &pix2paint::model::Generator,
    x: &Tensor<4>,
    warmup: usize,
    iters: usize,
) -> (f64, Vec<f32>) {
    time_forward_reduced(g, None, x, warmup, iters)
}

/// [`time_forward`] with the convolutions at reduced precision where `reduced` is given.
pub(super) fn time_forward_reduced(
    g: &pix2paint::model::Generator,
    reduced: Option<&pix2paint::model::reduced::Reduced>,
    x: &Tensor<4>,
    warmup: usize,
    iters: usize,
) -> (f64, Vec<f32>) {
    let run = || {
        g.forward_reduced(x.clone(), NormStats::Batch, None, reduced)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32")
    };
    for _ in 0..warmup {
        run();
    }
    let mut times = Vec::with_capacity(iters);
    let mut out = Vec::new();
    for _ in 0..iters {
        let t = Instant::now();
        out = run();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (median(times), out)
}

pub(super) fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    let (mut num, mut den) = (0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        num += ((x - y) as f64).powi(2);
        den += (*y as f64).powi(2);
    }
    (num / den.max(1e-30)).sqrt()
}

/// The peak signal-to-noise ratio of `a` against `b` (images in [-1, 1]), in dB.
pub(super) fn psnr(a: &[f32], b: &[f32]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (((x - y) / 2.0) as f64).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64;
    10.0 * (1.0 / mse.max(1e-20)).log10()
}

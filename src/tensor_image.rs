//! The one conversion between images and tensors, used by inference, training and the CLI.
//!
//! Value ranges and layouts:
//! - images are 8-bit RGB, row-major HWC, values 0..=255;
//! - tensors are `f32` NCHW (`[batch, 3, height, width]`), values in [-1, 1], with
//!   `v = u8 / 127.5 - 1` on the way in and `u8 = round((v + 1) × 127.5)` clamped on the way out
//!   (the generator ends in tanh, so its output is already in range).
//!
//! Reading images from disk is [`crate::imaging`]'s.

use burn::tensor::{Device, Tensor, TensorData};
use image::{Rgb, RgbImage, RgbaImage};

/// Images → a batch tensor `[N, 3, H, W]` in [-1, 1]. All images must share one size.
///
/// # Panics
/// If the images differ in size (a programming error: callers resize first).
pub fn images_to_tensor(images: &[&RgbImage], device: &Device) -> Tensor<4> {
    planar(images, device, "batch images differ in size", |p| {
        p.0.map(|v| v as f32 / 127.5 - 1.0)
    })
}

/// Same-size images → a batch tensor `[N, C, H, W]`, each pixel's `C` channel values from
/// `channels`.
///
/// # Panics
/// With `differ` when the images differ in size.
fn planar<P: image::Pixel<Subpixel = u8>, const C: usize>(
    images: &[&image::ImageBuffer<P, Vec<u8>>],
    device: &Device,
    differ: &str,
    channels: impl Fn(&P) -> [f32; C],
) -> Tensor<4> {
    let (w, h) = images[0].dimensions();
    let plane = w as usize * h as usize;
    let mut data = vec![0f32; images.len() * C * plane];
    for (n, img) in images.iter().enumerate() {
        assert_eq!(img.dimensions(), (w, h), "{differ}");
        let base = n * C * plane;
        for (i, p) in img.pixels().enumerate() {
            for (c, v) in channels(p).into_iter().enumerate() {
                data[base + c * plane + i] = v;
            }
        }
    }
    let shape = [images.len(), C, h as usize, w as usize];
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Hint layers (RGBA, transparent = no hint; see [`crate::hints`]) → a batch tensor
/// `[N, 4, H, W]`: channels 0–2 the hint colour in [-1, 1] where there is a hint and 0 where
/// there is none, channel 3 the mask (1 for a hint: alpha ≥ 128, else 0). All layers must
/// share one size.
///
/// # Panics
/// If the layers differ in size (a programming error: callers resize first).
pub fn hints_to_tensor(hints: &[&RgbaImage], device: &Device) -> Tensor<4> {
    planar(hints, device, "batch hint layers differ in size", |p| {
        if p[3] >= 128 {
            let [r, g, b] = [p[0], p[1], p[2]].map(|v| v as f32 / 127.5 - 1.0);
            [r, g, b, 1.0]
        } else {
            [0.0; 4]
        }
    })
}

/// One image → `[1, 3, H, W]` in [-1, 1].
pub fn image_to_tensor(image: &RgbImage, device: &Device) -> Tensor<4> {
    images_to_tensor(&[image], device)
}

/// A batch tensor `[N, 3, H, W]` (values in [-1, 1], clamped) → images.
pub fn tensor_to_images(t: Tensor<4>) -> Vec<RgbImage> {
    let [n, c, h, w] = t.dims();
    assert_eq!(c, 3, "expected an RGB tensor");
    let data = t
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 data after convert");
    (0..n)
        .map(|k| {
            let base = k * 3 * h * w;
            RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let i = y as usize * w + x as usize;
                let px = |ch: usize| {
                    ((data[base + ch * h * w + i].clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
                };
                Rgb([px(0), px(1), px(2)])
            })
        })
        .collect()
}

/// `[1, 3, H, W]` → one image.
pub fn tensor_to_image(t: Tensor<4>) -> RgbImage {
    tensor_to_images(t).remove(0)
}

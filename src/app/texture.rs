//! RGB images into egui textures: the one upload path of the canvas, the result and the
//! training panel's pictures.

use egui::{ColorImage, TextureHandle, TextureOptions};
use image::RgbImage;

fn color_image(img: &RgbImage) -> ColorImage {
    let (w, h) = img.dimensions();
    ColorImage::from_rgb([w as usize, h as usize], img.as_raw())
}

/// A new texture holding `img`.
pub fn upload(ctx: &egui::Context, name: &str, img: &RgbImage) -> TextureHandle {
    ctx.load_texture(name, color_image(img), TextureOptions::LINEAR)
}

/// Put `img` in `slot`'s texture, replacing its pixels when there is one (no new texture id,
/// so nothing is left for egui to free), else making it. `options`: LINEAR for a picture shown
/// scaled; NEAREST for one drawn at its own pixel size (the same pixels, and on a software
/// renderer a quarter of the texture reads in every frame).
pub fn replace(
    slot: &mut Option<TextureHandle>,
    ctx: &egui::Context,
    name: &str,
    img: &RgbImage,
    options: TextureOptions,
) {
    match slot {
        Some(t) => t.set(color_image(img), options),
        None => *slot = Some(ctx.load_texture(name, color_image(img), options)),
    }
}

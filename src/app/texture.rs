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
/// so nothing is left for egui to free), else making it.
pub fn replace(slot: &mut Option<TextureHandle>, ctx: &egui::Context, name: &str, img: &RgbImage) {
    match slot {
        Some(t) => t.set(color_image(img), TextureOptions::LINEAR),
        None => *slot = Some(upload(ctx, name, img)),
    }
}

//! What `assets/` ships inside the binary: the window icon and example cat sketches (drawn with
//! the mouse in the app, `docs/screenshot_xvfb.py`), so an installed binary has them too.

use image::{GrayImage, RgbaImage};

/// The window icon (128×128 RGBA PNG).
const ICON_PNG: &[u8] = include_bytes!("../assets/icon.png");

/// Example sketches for File ▸ Open example, by the name the menu shows (512×512 grey PNGs).
pub const EXAMPLES: [(&str, &[u8]); 3] = [
    (
        "A cat's head",
        include_bytes!("../assets/sketches/head.png"),
    ),
    (
        "A cat lying down",
        include_bytes!("../assets/sketches/lying.png"),
    ),
    (
        "A cat sitting",
        include_bytes!("../assets/sketches/sitting.png"),
    ),
];

/// Example sketch `index` of [`EXAMPLES`], decoded; `None` past the end.
pub fn example(index: usize) -> Option<Result<GrayImage, image::ImageError>> {
    let (_, png) = EXAMPLES.get(index)?;
    Some(image::load_from_memory(png).map(|img| img.to_luma8()))
}

/// The window icon, decoded.
pub fn icon() -> Result<RgbaImage, image::ImageError> {
    image::load_from_memory(ICON_PNG).map(|img| img.to_rgba8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_decodes_and_the_examples_are_line_drawings() {
        let icon = icon().unwrap();
        assert_eq!(icon.dimensions(), (128, 128));
        for (i, (name, _)) in EXAMPLES.iter().enumerate() {
            let sketch = example(i).unwrap().unwrap();
            assert_eq!(sketch.dimensions(), (512, 512));
            let ink = sketch.pixels().filter(|p| p[0] < 128).count();
            let share = ink as f64 / (512.0 * 512.0);
            assert!((0.005..0.2).contains(&share), "{name}: ink {share}");
        }
        assert!(example(EXAMPLES.len()).is_none());
    }
}

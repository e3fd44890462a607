//! Hint layers saved as files (`colorize --hints`, the app's `NAME.hints.png`): reading one
//! for a sketch, and what can be wrong with it.

use super::has_hints;
use image::RgbaImage;

/// A hint file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HintFileError {
    /// Not a readable image.
    #[error("{path}: not a readable image ({reason}); save the hints as a PNG with transparency")]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// Its shape differs from the sketch's.
    #[error(
        "{path} is {found_w}×{found_h} but the sketch is {w}×{h}: a hint layer must have the \
         sketch's proportions (any size, it is resampled)"
    )]
    Proportions {
        /// The file.
        path: std::path::PathBuf,
        /// Its size.
        found_w: u32,
        /// Its size.
        found_h: u32,
        /// The sketch's size.
        w: u32,
        /// The sketch's size.
        h: u32,
    },
    /// Not one opaque pixel.
    #[error(
        "{path} holds no hint: every pixel is transparent (paint opaque dabs of colour where \
         the model should use that colour)"
    )]
    Empty {
        /// The file.
        path: std::path::PathBuf,
    },
}

/// Read a hint layer (RGBA; transparent = no hint) for a sketch of `w`×`h`, resampled to it
/// (nearest neighbour, so dabs keep their colour). Files without alpha count every pixel as a
/// hint, so they are refused only when empty by that rule too.
pub fn read_hint_layer(path: &std::path::Path, w: u32, h: u32) -> Result<RgbaImage, HintFileError> {
    let img = crate::imaging::read_image(path).map_err(|e| HintFileError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let layer = img.to_rgba8();
    let (fw, fh) = layer.dimensions();
    // Proportions within 2 % (a rounding of a resampled copy), compared without division.
    let (a, b) = (u64::from(fw) * u64::from(h), u64::from(fh) * u64::from(w));
    if a.abs_diff(b) * 50 > a.max(b) {
        return Err(HintFileError::Proportions {
            path: path.to_owned(),
            found_w: fw,
            found_h: fh,
            w,
            h,
        });
    }
    let layer = if (fw, fh) == (w, h) {
        layer
    } else {
        image::imageops::resize(&layer, w, h, image::imageops::FilterType::Nearest)
    };
    if !has_hints(&layer) {
        return Err(HintFileError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(layer)
}

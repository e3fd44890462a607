//! Telling a dataset folder's layout apart: A/ and B/ folders, A|B pairs side by side, or
//! photos; and the header-only checks that keep unusable files out.

use super::{DatasetError, Layout, Skip};
use crate::imaging::ImageReadError;
use std::path::{Path, PathBuf};

pub(super) fn images_in(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let rd = std::fs::read_dir(dir).map_err(|source| DatasetError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && crate::files::is_image(p))
        .collect();
    v.sort();
    Ok(v)
}

/// Header-only check that a file is a readable image; returns its size.
pub(super) fn dimensions(p: &Path) -> Result<(u32, u32), Skip> {
    let (width, height) = image::image_dimensions(p).map_err(|source| ImageReadError::Decode {
        path: p.to_owned(),
        source,
    })?;
    if width < 16 || height < 16 {
        return Err(Skip::TooSmall { width, height });
    }
    crate::imaging::check_pixels(p, width, height)?;
    Ok((width, height))
}

/// Whether a `w × h` image looks like two square-ish images side by side: within 2 % (and at
/// least 2 pixels) of twice as wide as high. A pair saved one pixel off (513×256, an editor's
/// rounding) is still a pair; a 16:9 or 3:2 photo is not.
fn side_by_side(w: u32, h: u32) -> bool {
    let (w, h) = (u64::from(w), u64::from(h));
    let tolerance = (2 * h / 50).max(2);
    w.abs_diff(2 * h) <= tolerance
}

pub(super) fn detect(root: &Path) -> Result<Layout, DatasetError> {
    if root.join("A").is_dir() && root.join("B").is_dir() {
        return Ok(Layout::Folders);
    }
    let files = images_in(root)?;
    let read: Vec<Result<(u32, u32), Skip>> =
        files.iter().take(16).map(|p| dimensions(p)).collect();
    let sample: Vec<(u32, u32)> = read.iter().filter_map(|r| r.clone().ok()).collect();
    if sample.is_empty() {
        let mut hint = "point at a folder of photos, of A|B pairs, or with A/ and B/ inside".into();
        // Say why the images it does hold are not usable (too large, damaged …).
        if let Some(Err(why)) = read.first() {
            hint = format!(
                "{hint} (the first of its {} files cannot be used: {why})",
                files.len()
            );
        }
        return Err(DatasetError::Empty {
            path: root.to_owned(),
            what: "images",
            hint,
        });
    }
    let wide = sample.iter().filter(|&&(w, h)| side_by_side(w, h)).count();
    Ok(if wide * 2 > sample.len() {
        Layout::Aligned
    } else {
        Layout::Photos
    })
}

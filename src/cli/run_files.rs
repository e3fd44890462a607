//! What a training run keeps beside its checkpoint for the user: the model of every checkpoint
//! (`--snapshots`) and sheets of held-out previews (`--samples`).

use anyhow::{Context, Result};
use pix2paint::weights::{self, Precision};
use std::path::Path;

/// Copy the model of a checkpoint (without optimizer and trainer state) into `dir`.
pub fn snapshot(checkpoint: &Path, dir: &Path, step: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dest = dir.join(format!("step-{step:06}.safetensors"));
    // A checkpoint's info counts the steps before its run; the run's own are `step`.
    weights::copy_model(checkpoint, &dest, Precision::Half, |info| {
        info.steps += step
    })?;
    Ok(())
}

/// Write one sheet of (sketch | painting | target) rows for `step` into `dir`.
pub fn save_samples(
    dir: &std::path::Path,
    step: u64,
    images: &[(image::RgbImage, image::RgbImage, image::RgbImage)],
) -> Result<()> {
    use pix2paint::tiles;
    if images.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = images
        .iter()
        .map(|(s, g, t)| tiles::row(&[s, g, t]))
        .collect();
    let sheet = tiles::column(&rows);
    pix2paint::files::save_image(&sheet, &dir.join(format!("step-{step:07}.png")))?;
    Ok(())
}

//! Where the default model is found.

use std::path::{Path, PathBuf};

/// File name of the default model in [`default_model_dir`]: the second cat model, which takes
/// colour hints (the first, `pix2paint-cats.safetensors`, stays beside it to open by hand).
pub const DEFAULT_MODEL_FILE: &str = "pix2paint-cats-v2.safetensors";

/// Where the default model lives: `weights/` of the source tree this binary was built from.
pub fn default_model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights")
}

/// The default model to load, if one is installed: `$PIX2PAINT_WEIGHTS`, then `weights/`
/// beside the executable, then the source tree's `weights/`.
pub fn default_model_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PIX2PAINT_WEIGHTS") {
        return Some(PathBuf::from(p));
    }
    let beside_exe = std::env::current_exe().ok().and_then(|e| {
        e.parent()
            .map(|d| d.join("weights").join(DEFAULT_MODEL_FILE))
    });
    [
        beside_exe,
        Some(default_model_dir().join(DEFAULT_MODEL_FILE)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

//! Writing user files safely: every save goes to a temporary file beside the target and is
//! renamed over it, so a crash or a full disk never leaves a half-written file behind.

use std::path::{Path, PathBuf};

/// An image that could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The extension names no format pix2paint writes.
    #[error("{0}: unknown image extension; use .png, .jpg, .webp or .bmp")]
    Format(PathBuf),
    /// Encoding failed.
    #[error("encoding {path}: {source}")]
    Encode {
        /// The target.
        path: PathBuf,
        /// What the encoder said.
        source: image::ImageError,
    },
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The target.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// The image files pix2paint reads, by extension (lower case).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "webp", "bmp"];

/// The model files pix2paint opens, by extension (lower case): its own, PyTorch pix2pix
/// generators, the 2017 web demo's.
pub const MODEL_EXTENSIONS: [&str; 4] = ["safetensors", "pth", "pt", "pict"];

/// Whether `path` names an image pix2paint reads (by its extension, any case).
pub fn is_image(path: &Path) -> bool {
    has_extension(path, &IMAGE_EXTENSIONS)
}

/// Whether `path` names a model file pix2paint opens (by its extension, any case).
pub fn is_model(path: &Path) -> bool {
    has_extension(path, &MODEL_EXTENSIONS)
}

fn has_extension(path: &Path, list: &[&str]) -> bool {
    path.extension()
        .is_some_and(|e| list.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Whether files can be written into `dir` (made if missing): a probe file is created and
/// removed, so long work finds out before it starts, not when its first output is due.
pub fn check_writable(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".pix2paint-probe.{}.tmp", std::process::id()));
    std::fs::File::create(&probe)?;
    std::fs::remove_file(&probe)
}

/// Write `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.unwrap_or_else(|| "pix2paint".into()),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::StorageFull {
            // Say how much room the file needs; the callers name the file.
            return Err(std::io::Error::new(
                e.kind(),
                format!(
                    "the disk is full: this file needs {} free there; free some space or write \
                     it elsewhere (the previous version, if any, is untouched)",
                    human_bytes(bytes.len() as u64)
                ),
            ));
        }
        return Err(e);
    }
    Ok(())
}

/// A size for people: "812 KB", "27.1 MB".
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1u32 << 20)),
        n => format!("{} KB", n.div_ceil(1024)),
    }
}

/// Encode an image by its extension (PNG, JPEG, WebP, BMP) and write it atomically.
pub fn save_image(image: &image::RgbImage, path: &Path) -> Result<(), SaveError> {
    save_encoded(&image::DynamicImage::ImageRgb8(image.clone()), path)
}

/// [`save_image`] for an image with transparency (a hint layer); the format must keep alpha
/// (PNG, WebP).
pub fn save_rgba(image: &image::RgbaImage, path: &Path) -> Result<(), SaveError> {
    save_encoded(&image::DynamicImage::ImageRgba8(image.clone()), path)
}

fn save_encoded(image: &image::DynamicImage, path: &Path) -> Result<(), SaveError> {
    let format =
        image::ImageFormat::from_path(path).map_err(|_| SaveError::Format(path.to_owned()))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, format)
        .map_err(|source| SaveError::Encode {
            path: path.to_owned(),
            source,
        })?;
    write_atomic(path, bytes.get_ref()).map_err(|source| SaveError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Whether `a` and `b` name the same file or folder, however their paths are spelled (`./x`,
/// `dir/../x`, links). A path that does not exist yet is resolved through its parent folder.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
        })
    };
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Remove the temporary files that [`write_atomic`] left beside `path` when its process was
/// killed mid-write (a checkpoint's are hundreds of megabytes at ngf 64). Only files of
/// processes that no longer run are removed; where that cannot be known (no `/proc`), none are.
/// Returns how many were removed.
pub fn remove_stale_temporaries(path: &Path) -> usize {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return 0;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

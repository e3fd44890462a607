//! What the app remembers between runs (through eframe's storage), and where the sketch is
//! autosaved.

use crate::canvas::{Canvas, SavedStrokes, Tool};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Persisted preferences.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Settings {
    /// Pen width in pixels at the model's resolution.
    pub pen_width: f32,
    /// Eraser width in pixels at the model's resolution.
    pub eraser_width: f32,
    /// Colour-dab size in pixels at the model's resolution.
    pub hint_width: f32,
    /// The Colour tool's colour (sRGB).
    pub hint_colour: [u8; 3],
    /// Folder of the last opened or saved image.
    pub last_image_dir: Option<PathBuf>,
    /// Folder of the last opened model.
    pub last_model_dir: Option<PathBuf>,
    /// The last model opened by the user (reopened at start).
    pub model_path: Option<PathBuf>,
    /// Paint the live canvas at fp32 rather than with 8-bit weights (the Model window).
    pub precise: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pen_width: 3.0,
            eraser_width: 12.0,
            hint_width: 6.0,
            // Ginger: the colour people ask cats to be first.
            hint_colour: [214, 122, 48],
            last_image_dir: None,
            last_model_dir: None,
            model_path: None,
            precise: false,
        }
    }
}

impl Settings {
    /// The line width of `tool`, in pixels at the model's resolution.
    pub fn width(&self, tool: Tool) -> f32 {
        match tool {
            Tool::Pen => self.pen_width,
            Tool::Eraser | Tool::HintEraser => self.eraser_width,
            Tool::Colour => self.hint_width,
        }
    }

    /// Set the line width of `tool` (1–40 pixels).
    pub fn set_width(&mut self, tool: Tool, width: f32) {
        let w = width.clamp(1.0, 40.0);
        match tool {
            Tool::Pen => self.pen_width = w,
            Tool::Eraser | Tool::HintEraser => self.eraser_width = w,
            Tool::Colour => self.hint_width = w,
        }
    }

    /// Open and save images next time where `path` is.
    pub fn remember_image_dir(&mut self, path: &Path) {
        self.last_image_dir = path.parent().map(Path::to_owned);
    }
}

impl Settings {
    /// Where the settings are kept: `settings.json` in the app's data folder.
    pub fn default_path() -> Option<PathBuf> {
        eframe::storage_dir("pix2paint").map(|d| d.join("settings.json"))
    }

    /// The settings in `path` (defaults when there are none). A file that cannot be read is
    /// moved aside (kept for the user) and named in the second value.
    pub fn load(path: &Path) -> (Self, Option<DamagedFile>) {
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(s) => (s, None),
                Err(e) => (Self::default(), Some(DamagedFile::set_aside(path, &e))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(DamagedFile::set_aside(path, &e))),
        }
    }

    /// Write the settings to `path` atomically (two windows never leave a mix of both).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::files::write_atomic(path, &json)
    }
}

/// The autosaved sketch: strokes as JSON and the background line layer as PNG, in one folder.
#[derive(Debug, Clone)]
pub struct Autosave {
    dir: PathBuf,
    /// The lock that keeps other windows out of `dir`, while this one lives.
    _lock: Option<std::sync::Arc<std::fs::File>>,
}

/// The autosaved strokes' file name.
const STROKES: &str = "sketch.json";

/// Windows open at once that each keep their own autosave.
const SLOTS: usize = 8;

impl Autosave {
    /// Autosave into `dir` (created on first save), without a lock.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            _lock: None,
        }
    }

    /// The autosave of a new window: of `base`, `base-2` … `base-8`, the one no other running
    /// pix2paint window holds (an advisory lock) with the newest sketch. Two windows never
    /// write into one folder.
    pub fn claim(base: &Path) -> Result<Self, Unclaimed> {
        // A data folder that cannot be made at all is said as such, not as eight windows.
        std::fs::create_dir_all(base).map_err(|error| Unclaimed::Unwritable {
            dir: base.to_owned(),
            error,
        })?;
        let name = base.file_name().unwrap_or_default().to_string_lossy();
        let slots: Vec<PathBuf> = (1..=SLOTS)
            .map(|k| match k {
                1 => base.to_owned(),
                k => base.with_file_name(format!("{name}-{k}")),
            })
            .collect();
        // Folders with a sketch, newest first, then the others in order; the first free wins.
        let stamp = |dir: &Path| {
            std::fs::metadata(dir.join(STROKES))
                .and_then(|m| m.modified())
                .ok()
        };
        let mut order: Vec<usize> = (0..SLOTS).collect();
        order.sort_by_key(|&k| (std::cmp::Reverse(stamp(&slots[k])), k));
        order
            .into_iter()
            .find_map(|k| {
                let lock = lock(&slots[k])?;
                Some(Self {
                    dir: slots[k].clone(),
                    _lock: Some(std::sync::Arc::new(lock)),
                })
            })
            .ok_or(Unclaimed::AllHeld)
    }

    /// The app's data folder for this user.
    pub fn default_dir() -> Option<PathBuf> {
        eframe::storage_dir("pix2paint").map(|d| d.join("autosave"))
    }

    /// Where models trained in the app go: `models/` beside the autosave folder.
    pub fn models_dir(&self) -> PathBuf {
        self.dir
            .parent()
            .map_or_else(|| self.dir.join("models"), |p| p.join("models"))
    }

    fn strokes_path(&self) -> PathBuf {
        self.dir.join(STROKES)
    }

    fn background_path(&self) -> PathBuf {
        self.dir.join("background.png")
    }

    fn hints_path(&self) -> PathBuf {
        self.dir.join("hints.png")
    }

    /// Write the canvas (atomically, file by file; the strokes last, so a write that fails
    /// on a full disk leaves the previous strokes).
    pub fn save(&self, canvas: &Canvas) -> std::io::Result<()> {
        match canvas.background() {
            Some(bg) => {
                let mut png = std::io::Cursor::new(Vec::new());
                bg.write_to(&mut png, image::ImageFormat::Png)
                    .map_err(std::io::Error::other)?;
                crate::files::write_atomic(&self.background_path(), png.get_ref())?;
            }
            None => remove_if_present(&self.background_path())?,
        }
        // The hint layer is kept whole (opened hint image and dabs), so nothing of it depends on
        // replaying strokes over an image that may be gone.
        if canvas.has_hints() {
            let size = crate::hints::LAYER_SIDE;
            let mut png = std::io::Cursor::new(Vec::new());
            canvas
                .rasterize_hints(size)
                .write_to(&mut png, image::ImageFormat::Png)
                .map_err(std::io::Error::other)?;
            crate::files::write_atomic(&self.hints_path(), png.get_ref())?;
        } else {
            remove_if_present(&self.hints_path())?;
        }
        let json = serde_json::to_vec(&canvas.saved_strokes()).map_err(std::io::Error::other)?;
        crate::files::write_atomic(&self.strokes_path(), &json)
    }

    /// Restore the last autosaved canvas; a missing or damaged autosave gives a blank one
    /// and, when damaged, a message that names the file and where it was kept (it is moved
    /// aside, so the next autosave cannot overwrite what might still be recovered).
    pub fn load(&self) -> (Canvas, Option<DamagedFile>) {
        let mut canvas = Canvas::new();
        let mut problem = None;
        if let Ok(img) = crate::imaging::read_image(&self.background_path()) {
            canvas.set_background(img.to_luma8());
        }
        let hints = crate::imaging::read_image(&self.hints_path())
            .ok()
            .map(|i| i.to_rgba8());
        let damaged = |e: &dyn std::fmt::Display| DamagedFile::set_aside(&self.strokes_path(), e);
        match std::fs::read(self.strokes_path()) {
            Ok(bytes) => match serde_json::from_slice::<SavedStrokes>(&bytes) {
                Ok(mut saved) => {
                    // The saved hint layer already holds the dabs.
                    if let Some(h) = hints {
                        saved.hints.clear();
                        canvas.set_hint_background(h);
                    }
                    canvas.restore(saved)
                }
                Err(e) => problem = Some(damaged(&e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problem = Some(damaged(&e)),
        }
        (canvas, problem)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Why a window has no autosave.
#[derive(Debug, thiserror::Error)]
pub enum Unclaimed {
    /// Every autosave folder is held by another open window.
    #[error(
        "{SLOTS} pix2paint windows are open: this one's sketch is not autosaved. Save it with \
         File > Save sketch…, or close another window first."
    )]
    AllHeld,
    /// The app's data folder cannot be made or written (a read-only home, a file in its place).
    #[error(
        "pix2paint cannot write its data folder {} ({error}): this window's sketch is not \
         autosaved and the settings are not kept. Save your sketch with File > Save sketch…, and \
         make that folder writable (or set XDG_DATA_HOME to a folder that is).",
        dir.display()
    )]
    Unwritable {
        /// The folder.
        dir: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
}

/// An exclusive advisory lock on `dir/lock` (made with the folder), or `None` when another
/// process holds it or the folder cannot be made.
fn lock(dir: &Path) -> Option<std::fs::File> {
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .ok()?;
    file.try_lock().ok()?;
    Some(file)
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A file of the app's own (the autosaved sketch, the settings) that could not be read after a
/// crash: the app starts without it, and it is moved aside as `NAME.damaged-TIME.EXT` so the
/// next save cannot overwrite what might still be recovered.
#[derive(Debug)]
pub struct DamagedFile {
    /// The file.
    pub path: PathBuf,
    /// What was wrong with it.
    pub reason: String,
    /// Where it was kept, if it could be moved aside.
    pub kept: Option<PathBuf>,
}

impl DamagedFile {
    /// Move `path` aside, with `reason`.
    fn set_aside(path: &Path, reason: &dyn std::fmt::Display) -> Self {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let ext = path.extension().unwrap_or_default().to_string_lossy();
        let kept = path.with_file_name(format!("{stem}.damaged-{stamp}.{ext}"));
        let kept = std::fs::rename(path, &kept).is_ok().then_some(kept);
        Self {
            path: path.to_owned(),
            reason: reason.to_string(),
            kept,
        }
    }
}

impl std::fmt::Display for DamagedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} could not be read ({})",
            self.path.display(),
            self.reason
        )?;
        if let Some(kept) = &self.kept {
            write!(
                f,
                "; it was kept as {} and pix2paint starts without it",
                kept.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DamagedFile {}

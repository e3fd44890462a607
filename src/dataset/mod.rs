//! Training data in the layouts people have, read lazily, with pix2pix's augmentation.
//!
//! Layouts: (a) aligned pairs in one image, A|B side by side (pix2pix's own layout), in either
//! direction; (b) two folders `A/` and `B/` matched by file name; (c) a folder of photos, whose
//! sketch side the line extractor draws (using a foreground mask when one is given). Files that
//! cannot be read and pairs that cannot be matched are skipped and listed, never fatal.
//!
//! [`calm`]: targets for sketches on blank paper (the subject over a calm background).

pub mod calm;

pub use calm::{Backdrop, Placement};

use crate::lines::{LineConfig, extract_lines, outline_lines};
use crate::tensor_image::{read_image, to_rgb};
use crate::weights::Direction;
use image::{GrayImage, RgbImage, imageops::FilterType};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How the files of a dataset are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Decide from the folder: `A/` + `B/` → folders; images (within 2 % of) twice as wide as
    /// high → aligned; otherwise photos.
    Auto,
    /// A|B side by side in one image.
    Aligned,
    /// `A/` and `B/` matched by file name.
    Folders,
    /// Photos only; sketches are extracted.
    Photos,
}

/// A dataset folder that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// Not a folder.
    #[error("{0} is not a folder: point at a folder of images (or with A/ and B/ inside)")]
    NotAFolder(PathBuf),
    /// Nothing usable inside.
    #[error("{path} holds no usable {what}; {hint}")]
    Empty {
        /// The folder.
        path: PathBuf,
        /// What was looked for.
        what: &'static str,
        /// What to do.
        hint: String,
    },
    /// The folder could not be listed.
    #[error("cannot read the folder {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
enum Item {
    Aligned(PathBuf),
    Pair(PathBuf, PathBuf),
    Photo(PathBuf),
}

/// One training example: the sketch (model input) and the photo (target), same size.
#[derive(Debug, Clone)]
pub struct Example {
    /// Dark lines on white, RGB.
    pub sketch: RgbImage,
    /// The target image.
    pub photo: RgbImage,
    /// The subject's foreground mask (non-zero = subject), where the dataset has one.
    pub mask: Option<GrayImage>,
}

/// A dataset on disk.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The folder.
    pub root: PathBuf,
    /// The layout in use (never `Auto`).
    pub layout: Layout,
    /// For aligned pairs: which half is the input.
    pub direction: Direction,
    items: Vec<Item>,
    /// Files skipped when opening, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    masks: Option<PathBuf>,
    /// Extractor settings for the photos layout.
    pub lines: LineConfig,
}

fn images_in(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let rd = std::fs::read_dir(dir).map_err(|source| DatasetError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    crate::files::IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Header-only check that a file is a readable image; returns its size.
fn dimensions(p: &Path) -> Result<(u32, u32), String> {
    let (w, h) = image::image_dimensions(p).map_err(|e| e.to_string())?;
    if w < 16 || h < 16 {
        return Err(format!("{w}×{h} is too small"));
    }
    crate::tensor_image::check_pixels(p, w, h).map_err(|e| e.to_string())?;
    Ok((w, h))
}

impl Dataset {
    /// Open a dataset folder. `masks` (photos layout only) is a folder of foreground masks named
    /// like the photos.
    pub fn open(
        root: &Path,
        layout: Layout,
        direction: Direction,
        masks: Option<PathBuf>,
    ) -> Result<Self, DatasetError> {
        if !root.is_dir() {
            return Err(DatasetError::NotAFolder(root.to_owned()));
        }
        let layout = match layout {
            Layout::Auto => detect(root)?,
            l => l,
        };
        let mut skipped = Vec::new();
        let mut items = Vec::new();
        match layout {
            Layout::Folders => {
                let (a, b) = (images_in(&root.join("A"))?, images_in(&root.join("B"))?);
                let by_stem = |v: Vec<PathBuf>| -> BTreeMap<String, PathBuf> {
                    v.into_iter()
                        .map(|p| {
                            (
                                p.file_stem()
                                    .unwrap_or_default()
                                    .to_string_lossy()
                                    .into_owned(),
                                p,
                            )
                        })
                        .collect()
                };
                let (a, mut b) = (by_stem(a), by_stem(b));
                for (stem, pa) in a {
                    match b.remove(&stem) {
                        Some(pb) => match (dimensions(&pa), dimensions(&pb)) {
                            (Ok(_), Ok(_)) => items.push(Item::Pair(pa, pb)),
                            (Err(e), _) => skipped.push((pa, e)),
                            (_, Err(e)) => skipped.push((pb, e)),
                        },
                        None => skipped.push((pa, "no file of the same name in B/".into())),
                    }
                }
                for (_, pb) in b {
                    skipped.push((pb, "no file of the same name in A/".into()));
                }
            }
            Layout::Aligned => {
                for p in images_in(root)? {
                    match dimensions(&p) {
                        // Two side by side: at least half as wide again as high (an odd
                        // width loses its last column when split).
                        Ok((w, h)) if 2 * u64::from(w) >= 3 * u64::from(h) => {
                            items.push(Item::Aligned(p))
                        }
                        Ok((w, h)) => skipped
                            .push((p, format!("{w}×{h} is not two images side by side (A|B)"))),
                        Err(e) => skipped.push((p, e)),
                    }
                }
            }
            Layout::Photos => {
                for p in images_in(root)? {
                    match dimensions(&p) {
                        Ok(_) => items.push(Item::Photo(p)),
                        Err(e) => skipped.push((p, e)),
                    }
                }
            }
            Layout::Auto => unreachable!("resolved above"),
        }
        if items.is_empty() {
            let (what, hint) = match layout {
                Layout::Folders => (
                    "pairs in A/ and B/",
                    "put matching file names in A/ (sketches) and B/ (photos)".to_string(),
                ),
                Layout::Aligned => (
                    "A|B pair images",
                    "each image must hold the sketch and the photo side by side".to_string(),
                ),
                _ => ("images", "add PNG, JPEG, WebP or BMP photos".to_string()),
            };
            let hint = if skipped.is_empty() {
                hint
            } else {
                format!(
                    "{hint} ({} files were skipped: {})",
                    skipped.len(),
                    skipped[0].1
                )
            };
            return Err(DatasetError::Empty {
                path: root.to_owned(),
                what,
                hint,
            });
        }
        Ok(Self {
            root: root.to_owned(),
            layout,
            direction,
            items,
            skipped,
            masks,
            lines: LineConfig::default(),
        })
    }

    /// Number of usable examples.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none (never true for an opened dataset).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A name for example `i` (its file name), for messages and previews.
    pub fn name(&self, i: usize) -> String {
        let p = match &self.items[i] {
            Item::Aligned(p) | Item::Photo(p) | Item::Pair(p, _) => p,
        };
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    }

    /// Whether example `i` is a photo with a foreground mask file (only those can be drawn as
    /// outlines by [`Dataset::load_varied`]).
    pub fn has_mask(&self, i: usize) -> bool {
        match &self.items[i] {
            Item::Photo(p) => self.mask_path(p).is_some_and(|m| m.is_file()),
            _ => false,
        }
    }

    /// The photo of example `i` and its foreground mask when it has one, without a sketch
    /// (photos layout; `None` for pairs).
    pub fn load_photo(&self, i: usize) -> Result<Option<(RgbImage, Option<GrayImage>)>, String> {
        let Item::Photo(p) = &self.items[i] else {
            return Ok(None);
        };
        let photo = read_image(p)
            .map(|i| to_rgb(&i))
            .map_err(|e| e.to_string())?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        Ok(Some((photo, mask)))
    }

    /// Load example `i` at its file's size (the sketch extracted for photos).
    pub fn load(&self, i: usize) -> Result<Example, String> {
        let read = |p: &Path| read_image(p).map(|i| to_rgb(&i)).map_err(|e| e.to_string());
        let (a, b) = match &self.items[i] {
            Item::Aligned(p) => {
                let img = read(p)?;
                let half = img.width() / 2;
                let left = image::imageops::crop_imm(&img, 0, 0, half, img.height()).to_image();
                let right = image::imageops::crop_imm(&img, half, 0, half, img.height()).to_image();
                (left, right)
            }
            Item::Pair(pa, pb) => {
                let (a, b) = (read(pa)?, read(pb)?);
                let b = if b.dimensions() != a.dimensions() {
                    image::imageops::resize(&b, a.width(), a.height(), FilterType::Triangle)
                } else {
                    b
                };
                (a, b)
            }
            Item::Photo(p) => {
                let photo = read(p)?;
                let mask = self.mask_for(p);
                let lines = extract_lines(&photo, mask.as_ref(), &self.lines);
                let sketch = image::DynamicImage::ImageLuma8(lines).to_rgb8();
                let mask = mask.map(|m| fit_mask(m, &photo));
                return Ok(Example {
                    sketch,
                    photo,
                    mask,
                });
            }
        };
        Ok(match self.direction {
            Direction::AtoB => Example {
                sketch: a,
                photo: b,
                mask: None,
            },
            Direction::BtoA => Example {
                sketch: b,
                photo: a,
                mask: None,
            },
        })
    }

    /// Load example `i` with its sketch drawn in `style` (photos layout; other layouts have
    /// their own sketches and give them for every style). `None` when the style needs a mask
    /// the photo does not have.
    pub fn load_style(&self, i: usize, style: SketchStyle) -> Result<Option<Example>, String> {
        let Item::Photo(p) = &self.items[i] else {
            return self.load(i).map(Some);
        };
        let photo = read_image(p)
            .map(|i| to_rgb(&i))
            .map_err(|e| e.to_string())?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        let lines = match style {
            SketchStyle::Edges => extract_lines(&photo, mask.as_ref(), &self.lines),
            SketchStyle::Outline => match &mask {
                Some(m) => outline_lines(&photo, m, &self.lines, None),
                None => return Ok(None),
            },
            SketchStyle::Xdog => crate::lines::xdog_lines(&photo),
        };
        Ok(Some(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo,
            mask,
        }))
    }

    /// Load example `i` as [`Dataset::load`] does, but for photos draw the sketch in a random
    /// style, so the model learns what people draw and not only what an edge detector finds:
    /// the extractor's edges, simplified edges (only the strongest), and where a mask exists
    /// the outline alone or the outline with the strongest interior lines; line widths vary.
    pub fn load_varied(&self, i: usize, rng: &mut impl Rng) -> Result<Example, String> {
        let Item::Photo(p) = &self.items[i] else {
            return self.load(i);
        };
        let photo = read_image(p)
            .map(|i| to_rgb(&i))
            .map_err(|e| e.to_string())?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        let cfg = LineConfig {
            width: rng.random_range(1.2..2.8),
            ..self.lines.clone()
        };
        let simplified = LineConfig {
            high_quantile: 0.95,
            ..cfg.clone()
        };
        let r: f64 = rng.random();
        let lines = match &mask {
            Some(m) if r < 0.35 => outline_lines(&photo, m, &cfg, None),
            Some(m) if r < 0.65 => outline_lines(&photo, m, &cfg, Some(0.96)),
            Some(m) if r < 0.75 => extract_lines(&photo, Some(m), &simplified),
            None if r < 0.3 => extract_lines(&photo, None, &simplified),
            m => extract_lines(&photo, m.as_ref(), &cfg),
        };
        Ok(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo,
            mask,
        })
    }

    /// Load example `i` drawn as people draw ([`Drawings`]): for photos with a mask, most
    /// examples are a sketch on blank paper (the outline, the outline with a few interior
    /// lines, or the subject's edges) whose target is the subject over a calm background, the
    /// subject often shrunk and moved; the others, and photos without a mask, keep the
    /// extractor's edges over the photo's own background ([`Dataset::load_varied`]).
    pub fn load_drawn(
        &self,
        i: usize,
        drawings: &Drawings,
        rng: &mut impl Rng,
    ) -> Result<Example, String> {
        let Some((photo, Some(mask))) = self.load_photo(i)? else {
            return self.load_varied(i, rng);
        };
        if rng.random_bool(drawings.photo_share.clamp(0.0, 1.0)) {
            return self.load_varied(i, rng);
        }
        let placement = if rng.random_bool(drawings.shrink_share.clamp(0.0, 1.0)) {
            Placement {
                scale: rng.random_range(drawings.min_scale.clamp(0.1, 1.0)..=1.0),
                x: rng.random(),
                y: rng.random(),
            }
        } else {
            Placement::AS_IS
        };
        let (target, mask) = calm::calm_target(&photo, &mask, drawings.backdrop, placement);
        let cfg = LineConfig {
            width: rng.random_range(1.2..3.0),
            ..self.lines.clone()
        };
        let r: f64 = rng.random();
        let lines = if r < 0.3 {
            outline_lines(&target, &mask, &cfg, None)
        } else if r < 0.7 {
            let interior = rng.random_range(0.95..0.985);
            outline_lines(&target, &mask, &cfg, Some(interior))
        } else if r < 0.85 {
            extract_lines(&target, Some(&mask), &cfg)
        } else {
            let simplified = LineConfig {
                high_quantile: 0.95,
                ..cfg
            };
            extract_lines(&target, Some(&mask), &simplified)
        };
        Ok(Example {
            sketch: image::DynamicImage::ImageLuma8(lines).to_rgb8(),
            photo: target,
            mask: Some(mask),
        })
    }

    fn mask_for(&self, photo: &Path) -> Option<GrayImage> {
        let m = self.mask_path(photo)?;
        read_image(&m).ok().map(|i| i.to_luma8())
    }

    /// Where `photo`'s mask would be: the masks folder, same name, `.png`.
    fn mask_path(&self, photo: &Path) -> Option<PathBuf> {
        Some(
            self.masks
                .as_ref()?
                .join(photo.file_stem()?)
                .with_extension("png"),
        )
    }

    /// Split indices into (train, held-out) deterministically: every `k`-th example is held out
    /// (none when the dataset is too small to spare any).
    pub fn split(&self, k: usize) -> (Vec<usize>, Vec<usize>) {
        if self.len() < 2 * k || k < 2 {
            let all: Vec<usize> = (0..self.len()).collect();
            return (all.clone(), all);
        }
        (0..self.len()).partition(|i| (i + 1) % k != 0)
    }
}

/// A mask at the photo's size (masks may be stored at another resolution).
fn fit_mask(mask: GrayImage, photo: &RgbImage) -> GrayImage {
    let (w, h) = photo.dimensions();
    if mask.dimensions() == (w, h) {
        mask
    } else {
        image::imageops::resize(&mask, w, h, FilterType::Nearest)
    }
}

/// Whether a `w × h` image looks like two square-ish images side by side: within 2 % (and at
/// least 2 pixels) of twice as wide as high. A pair saved one pixel off (513×256, an editor's
/// rounding) is still a pair; a 16:9 or 3:2 photo is not.
fn side_by_side(w: u32, h: u32) -> bool {
    let (w, h) = (u64::from(w), u64::from(h));
    let tolerance = (2 * h / 50).max(2);
    w.abs_diff(2 * h) <= tolerance
}

fn detect(root: &Path) -> Result<Layout, DatasetError> {
    if root.join("A").is_dir() && root.join("B").is_dir() {
        return Ok(Layout::Folders);
    }
    let files = images_in(root)?;
    let read: Vec<Result<(u32, u32), String>> =
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

/// How the sketch of a photo is drawn for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SketchStyle {
    /// pix2paint's own extractor (Canny-like edges, masked to the subject where a mask exists).
    Edges,
    /// The subject's outline from its mask, nothing inside (what people draw first).
    Outline,
    /// XDoG, an extractor of a different kind ([`crate::lines::xdog_lines`]).
    Xdog,
}

/// How a run draws sketches like people's ([`Dataset::load_drawn`]); stored in checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drawings {
    /// What the background of a sketch on blank paper becomes in its target.
    pub backdrop: Backdrop,
    /// Share of the examples (of photos with a mask) drawn as the extractor's edges over the
    /// photo's own background, so that photos opened as sketches still paint.
    pub photo_share: f64,
    /// Share of the blank-paper examples whose subject is shrunk and moved.
    pub shrink_share: f64,
    /// The smallest scale of a shrunk subject.
    pub min_scale: f32,
}

impl Default for Drawings {
    fn default() -> Self {
        Self {
            backdrop: Backdrop::Blur,
            photo_share: 0.25,
            shrink_share: 0.5,
            min_scale: 0.45,
        }
    }
}

/// Augmentation settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    /// pix2pix's random jitter: resize to `size × 286/256`, random crop back to `size`.
    pub jitter: bool,
    /// Random horizontal flip.
    pub flip: bool,
    /// Sketch-side changes so hand-drawn strokes work: line width, displacement, drops, breaks.
    pub sketch: bool,
}

impl Augment {
    /// No augmentation: the examples as the model sees them at test time.
    pub const NONE: Self = Self {
        jitter: false,
        flip: false,
        sketch: false,
    };
}

impl Default for Augment {
    fn default() -> Self {
        Self {
            jitter: true,
            flip: true,
            sketch: true,
        }
    }
}

/// Bring an example to `size`×`size` with the augmentation asked for.
pub fn prepare_example(ex: &Example, size: u32, aug: &Augment, rng: &mut impl Rng) -> Example {
    let load = if aug.jitter { size * 286 / 256 } else { size };
    let resize = |img: &RgbImage| image::imageops::resize(img, load, load, FilterType::Triangle);
    let (mut sketch, mut photo) = (resize(&ex.sketch), resize(&ex.photo));
    let mut mask = ex
        .mask
        .as_ref()
        .map(|m| image::imageops::resize(m, load, load, FilterType::Nearest));
    if load > size {
        let (x, y) = (
            rng.random_range(0..=load - size),
            rng.random_range(0..=load - size),
        );
        sketch = image::imageops::crop_imm(&sketch, x, y, size, size).to_image();
        photo = image::imageops::crop_imm(&photo, x, y, size, size).to_image();
        mask = mask.map(|m| image::imageops::crop_imm(&m, x, y, size, size).to_image());
    }
    if aug.flip && rng.random_bool(0.5) {
        sketch = image::imageops::flip_horizontal(&sketch);
        photo = image::imageops::flip_horizontal(&photo);
        mask = mask.map(|m| image::imageops::flip_horizontal(&m));
    }
    if aug.sketch {
        sketch = augment_sketch(&sketch, rng);
    }
    Example {
        sketch,
        photo,
        mask,
    }
}

/// Make extracted lines look more like a person's: thicker or thinner lines, a small smooth
/// displacement, whole segments dropped and small breaks.
pub fn augment_sketch(sketch: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (w, h) = sketch.dimensions();
    let mut ink: Vec<f32> = sketch.pixels().map(|p| 1.0 - p[0] as f32 / 255.0).collect();
    // Width: grow the ink by one pixel half the time.
    if rng.random_bool(0.5) {
        let prev = ink.clone();
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let mut m = prev[(y * w as i64 + x) as usize];
                for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx >= 0 && ny >= 0 && nx < w as i64 && ny < h as i64 {
                        m = m.max(prev[(ny * w as i64 + nx) as usize] * 0.8);
                    }
                }
                ink[(y * w as i64 + x) as usize] = m;
            }
        }
    }
    // Displacement: two low-frequency sine fields, up to ~2 px.
    let amp = rng.random_range(0.0..2.0f32);
    let (fx, fy) = (rng.random_range(1.0..3.0f32), rng.random_range(1.0..3.0f32));
    let (px, py) = (
        rng.random_range(0.0..std::f32::consts::TAU),
        rng.random_range(0.0..std::f32::consts::TAU),
    );
    let src = ink.clone();
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            let sx = x as f32 + amp * (std::f32::consts::TAU * fy * v + px).sin();
            let sy = y as f32 + amp * (std::f32::consts::TAU * fx * u + py).sin();
            let (ix, iy) = (sx.round() as i64, sy.round() as i64);
            ink[(y * w + x) as usize] = if ix >= 0 && iy >= 0 && ix < w as i64 && iy < h as i64 {
                src[(iy as u32 * w + ix as u32) as usize]
            } else {
                0.0
            };
        }
    }
    // Dropped segments (a few larger holes) and breaks (several small ones).
    let side = w.min(h) as f32;
    let holes = rng.random_range(0..4);
    let breaks = rng.random_range(0..12);
    for k in 0..holes + breaks {
        let r = if k < holes {
            rng.random_range(0.02..0.06) * side
        } else {
            rng.random_range(0.005..0.012) * side
        };
        let (cx, cy) = (
            rng.random_range(0.0..w as f32),
            rng.random_range(0.0..h as f32),
        );
        let (x0, x1) = ((cx - r).max(0.0) as u32, ((cx + r) as u32).min(w - 1));
        let (y0, y1) = ((cy - r).max(0.0) as u32, ((cy + r) as u32).min(h - 1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                if (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r {
                    ink[(y * w + x) as usize] = 0.0;
                }
            }
        }
    }
    RgbImage::from_fn(w, h, |x, y| {
        let v = (255.0 * (1.0 - ink[(y * w + x) as usize].clamp(0.0, 1.0))).round() as u8;
        image::Rgb([v, v, v])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng as TestRng;
    use image::{Luma, Rgb};

    #[test]
    fn drawn_examples_are_sketches_on_blank_paper_over_calm_targets() {
        let dir = tempfile::tempdir().unwrap();
        let (photos, masks) = (dir.path().join("photos"), dir.path().join("masks"));
        std::fs::create_dir(&photos).unwrap();
        std::fs::create_dir(&masks).unwrap();
        let inside = |x: u32, y: u32| (x as i32 - 64).pow(2) + (y as i32 - 70).pow(2) < 40 * 40;
        // A cat-coloured disc with dark spots, on a background of hard black and white bars.
        RgbImage::from_fn(128, 128, |x, y| {
            if inside(x, y) {
                Rgb(if (x / 9 + y / 9) % 3 == 0 {
                    [90, 50, 20]
                } else {
                    [210, 140, 70]
                })
            } else if (x / 6) % 2 == 0 {
                Rgb([10, 10, 10])
            } else {
                Rgb([250, 250, 250])
            }
        })
        .save(photos.join("cat.png"))
        .unwrap();
        GrayImage::from_fn(128, 128, |x, y| Luma([if inside(x, y) { 255 } else { 0 }]))
            .save(masks.join("cat.png"))
            .unwrap();
        let data = Dataset::open(&photos, Layout::Photos, Direction::AtoB, Some(masks)).unwrap();
        let drawings = Drawings {
            photo_share: 0.0,
            ..Drawings::default()
        };
        let mut rng = TestRng::seed_from_u64(1);
        for _ in 0..6 {
            let ex = data.load_drawn(0, &drawings, &mut rng).unwrap();
            let mask = ex.mask.expect("drawn examples keep their mask");
            let near = |x: u32, y: u32| {
                (x.saturating_sub(4)..(x + 5).min(128)).any(|u| {
                    (y.saturating_sub(4)..(y + 5).min(128)).any(|v| mask.get_pixel(u, v)[0] > 0)
                })
            };
            // Blank paper away from the subject, and ink somewhere.
            let mut inked = 0;
            for (x, y, p) in ex.sketch.enumerate_pixels() {
                if p[0] < 128 {
                    inked += 1;
                    assert!(near(x, y), "a background line at {x},{y}");
                }
            }
            assert!(inked > 50, "{inked} inked pixels");
            // The bars are gone from the target's background: neighbours differ little.
            let mut jumps = 0;
            for y in 0..128 {
                for x in 1..128 {
                    if !near(x, y) && !near(x - 1, y) {
                        let (a, b) = (ex.photo.get_pixel(x, y), ex.photo.get_pixel(x - 1, y));
                        jumps += usize::from(a[0].abs_diff(b[0]) > 20);
                    }
                }
            }
            assert_eq!(jumps, 0, "the background kept its bars");
        }
        // With every example a photo edge drawing, the background stays as it was.
        let photo_edges = Drawings {
            photo_share: 1.0,
            ..Drawings::default()
        };
        let ex = data.load_drawn(0, &photo_edges, &mut rng).unwrap();
        assert_eq!(ex.photo.get_pixel(2, 2), &Rgb([10, 10, 10]));
        assert_eq!(ex.photo.get_pixel(8, 2), &Rgb([250, 250, 250]));
    }
}

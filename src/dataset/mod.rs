//! Training data in the layouts people have, read lazily, with pix2pix's augmentation.
//!
//! Layouts: (a) aligned pairs in one image, A|B side by side (pix2pix's own layout), in either
//! direction; (b) two folders `A/` and `B/` matched by file name; (c) a folder of photos, whose
//! sketch side the line extractor draws (using a foreground mask when one is given). Files that
//! cannot be read and pairs that cannot be matched are skipped and listed, never fatal.
//!
//! One file a concern: this one opens a folder and loads its examples; [`layout`] tells the
//! layouts apart, [`styles`] draws a photo's sketch in the styles training and evaluation use,
//! [`calm`] makes targets for sketches on blank paper (the subject over a calm background), and
//! [`augment`] is pix2pix's jitter and flip with the sketch-side changes.

pub mod augment;
pub mod calm;
mod layout;
pub mod styles;

pub use augment::{Augment, augment_sketch, prepare_example};
pub use calm::{Backdrop, Placement};
pub use styles::{Drawings, SketchStyle};

use crate::imaging::{ImageReadError, read_image, to_rgb};
use crate::lines::{LineConfig, extract_lines};
use crate::weights::Direction;
use image::{GrayImage, RgbImage, imageops::FilterType};
use layout::{detect, dimensions, images_in};
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

/// Why a file of a dataset folder is not used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Skip {
    /// Not a readable image.
    #[error(transparent)]
    Unreadable(std::sync::Arc<ImageReadError>),
    /// Smaller than any training example.
    #[error("{width}×{height} is too small")]
    TooSmall {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// An A|B folder image that is not two images side by side.
    #[error("{width}×{height} is not two images side by side (A|B)")]
    NotAPair {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// A file in A/ or B/ without its partner in the other.
    #[error("no file of the same name in {0}/")]
    Unmatched(&'static str),
}

impl From<ImageReadError> for Skip {
    fn from(e: ImageReadError) -> Self {
        Self::Unreadable(std::sync::Arc::new(e))
    }
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
    pub skipped: Vec<(PathBuf, Skip)>,
    masks: Option<PathBuf>,
    /// Extractor settings for the photos layout.
    pub lines: LineConfig,
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
                        None => skipped.push((pa, Skip::Unmatched("B"))),
                    }
                }
                for (_, pb) in b {
                    skipped.push((pb, Skip::Unmatched("A")));
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
                        Ok((width, height)) => skipped.push((p, Skip::NotAPair { width, height })),
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
    pub fn load_photo(
        &self,
        i: usize,
    ) -> Result<Option<(RgbImage, Option<GrayImage>)>, ImageReadError> {
        let Item::Photo(p) = &self.items[i] else {
            return Ok(None);
        };
        let photo = read_image(p).map(|i| to_rgb(&i))?;
        let mask = self.mask_for(p).map(|m| fit_mask(m, &photo));
        Ok(Some((photo, mask)))
    }

    /// Load example `i` at its file's size (the sketch extracted for photos).
    pub fn load(&self, i: usize) -> Result<Example, ImageReadError> {
        let read = |p: &Path| read_image(p).map(|i| to_rgb(&i));
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

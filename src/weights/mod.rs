//! The pix2paint weights file: one self-describing file holding a generator, and when present
//! its discriminator and training state, together with their configs.
//!
//! The container is [safetensors](https://github.com/huggingface/safetensors) (so PyTorch and
//! others can read the tensors directly), with this layout:
//! - tensors `generator.<module path>` and `discriminator.<module path>`, in F32 or F16;
//! - when `generator` is a moving average of a run's weights (what paints best), the raw
//!   iterate that training continues from as `training_generator.<module path>`;
//! - opaque training blobs as U8 tensors `extra.<name>` (optimizer state, trainer state);
//! - header metadata: `format = "pix2paint"`, `format_version`, `generator_config` and
//!   `discriminator_config` (JSON of [`GeneratorConfig`] / [`DiscriminatorConfig`]), `info`
//!   (JSON of [`ModelInfo`]) and `param_ids` (module path → Burn parameter id, so optimizer state
//!   keyed by id resumes exactly).
//!
//! Loading reads the configs first, builds the networks from them, then fills every parameter,
//! checking names and shapes: a file never needs its architecture known in advance, and a file
//! that does not match what it declares is refused with the tensor that differs.
//!
//! Every model file format lives here: [`load`] tells them apart by their bytes, and the
//! other implementations' formats (PyTorch `.pth`, read and written; the 2017 web demo's
//! `.pict`) are in [`import`], which maps them onto this loader.

mod average;
mod check;
mod error;
pub(crate) mod fill;
pub mod import;
mod load;
mod lookup;
mod module_path;
mod save;

pub use average::{AverageError, average};
pub use check::MAX_SCALES;
use check::check_discriminator_config;
pub(crate) use check::{check_generator_config, check_holds};
pub use error::{Mismatch, WeightsError};
pub use load::{from_bytes, from_imported, load};
pub use lookup::{DEFAULT_MODEL_FILE, default_model_dir, default_model_path};
pub(crate) use save::collect;
pub use save::{copy_model, save, save_model_file, to_bytes};

use crate::model::{
    Discriminator, DiscriminatorConfig, Generator, GeneratorConfig, NormStats,
    generator::SIZE_MULTIPLE,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Value of the `format` metadata key.
const FORMAT: &str = "pix2paint";
/// Tensor-name prefix of the raw training generator (see [`ModelFile::training_generator`]).
const TRAINING_GENERATOR: &str = "training_generator";
/// Version of the layout described in the module doc.
const FORMAT_VERSION: u32 = 1;
/// Name of the extra blob in which a training checkpoint keeps its trainer state (JSON with
/// the run's `step`, RNG and config).
pub const TRAINER_EXTRA: &str = "trainer";
/// The file extension pix2paint writes.
pub const EXTENSION: &str = "safetensors";

/// Which image the model takes and which it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Direction {
    /// Sketch (A) → photo (B).
    #[default]
    AtoB,
    /// B → A: the model was trained the other way round.
    BtoA,
}

impl Direction {
    /// B → A when `btoa` (a `--btoa` flag, the panel's box), else A → B.
    pub fn from_btoa(btoa: bool) -> Self {
        if btoa { Self::BtoA } else { Self::AtoB }
    }
}

/// What a model says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Short name shown in the status bar.
    pub name: String,
    /// Free text: what it was trained on, what input it expects.
    #[serde(default)]
    pub description: String,
    /// Direction it was trained in.
    #[serde(default)]
    pub direction: Direction,
    /// Normalisation statistics to use at inference (see [`NormStats`]).
    #[serde(default = "default_stats")]
    pub inference_stats: NormStats,
    /// Side length of the training images (the canvas resolution the model expects).
    #[serde(default = "default_resolution")]
    pub resolution: usize,
    /// Generator updates it has been trained for.
    #[serde(default)]
    pub steps: u64,
}

fn default_stats() -> NormStats {
    NormStats::Batch
}

fn default_resolution() -> usize {
    SIZE_MULTIPLE
}

impl ModelInfo {
    /// Info for a model with this name and pix2paint's defaults.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            direction: Direction::AtoB,
            inference_stats: default_stats(),
            resolution: default_resolution(),
            steps: 0,
        }
    }
}

/// Storage precision of float tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 32-bit floats: exact.
    Full,
    /// 16-bit floats: half the size, ~1e-3 relative error.
    Half,
}

/// Everything a weights file holds, loaded onto a device.
#[derive(Debug)]
pub struct ModelFile {
    /// The generator, ready to run.
    pub generator: Generator,
    /// Its architecture.
    pub generator_config: GeneratorConfig,
    /// The generator that training continues from, when the file paints with another one (a
    /// run with a weight average: `generator` is then the average, this the raw iterate).
    pub training_generator: Option<Generator>,
    /// The discriminator, when the file carries one (for fine-tuning).
    pub discriminator: Option<(Discriminator, DiscriminatorConfig)>,
    /// What the model says about itself.
    pub info: ModelInfo,
    /// Opaque training blobs by name (optimizer and trainer state).
    pub extras: BTreeMap<String, Vec<u8>>,
}

impl ModelFile {
    /// Training steps behind the generator: the model's own count plus, in a training
    /// checkpoint, the steps of the run that wrote it (kept in its trainer state, because a
    /// resumed run counts from the model's own).
    pub fn trained_steps(&self) -> u64 {
        let run = self
            .extras
            .get(TRAINER_EXTRA)
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .and_then(|v| v.get("step")?.as_u64())
            .unwrap_or(0);
        self.info.steps.saturating_add(run)
    }
}

/// What to write into a weights file.
pub struct SaveRequest<'a> {
    /// The generator.
    pub generator: &'a Generator,
    /// Its architecture.
    pub generator_config: &'a GeneratorConfig,
    /// The raw training iterate, when `generator` is its moving average (same architecture).
    pub training_generator: Option<&'a Generator>,
    /// The discriminator, if it should travel with the generator.
    pub discriminator: Option<(&'a Discriminator, &'a DiscriminatorConfig)>,
    /// Model description.
    pub info: &'a ModelInfo,
    /// Opaque training blobs by name.
    pub extras: &'a BTreeMap<String, Vec<u8>>,
    /// Float storage precision.
    pub precision: Precision,
}

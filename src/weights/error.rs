//! Why a weights file could not be read or written.

use super::*;
use std::path::PathBuf;

/// A weights file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The OS refused the file.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not a pix2paint weights file at all.
    #[error(
        "{path} is not a pix2paint weights file ({reason}). Open a pix2paint model (.safetensors, from `pix2paint train` or weights/), a PyTorch pix2pix generator (latest_net_G.pth) or a pix2pix web demo model (.pict)"
    )]
    NotWeights {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The file ends early: an interrupted download or copy.
    #[error(
        "{path} is truncated or damaged ({reason}); download or copy it again, or use an earlier checkpoint"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The declared architecture and the stored tensors disagree.
    #[error("{path} does not hold the architecture it declares: {detail}")]
    Architecture {
        /// The file.
        path: PathBuf,
        /// Which config or tensor differs and how.
        detail: Mismatch,
    },
    /// A model of a kind this version cannot run yet.
    #[error("{path} is a model pix2paint cannot run yet: {detail}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it is, and what is supported.
        detail: String,
    },
    /// Written by a newer pix2paint.
    #[error(
        "{path} uses weights format version {found}, newer than this pix2paint understands ({FORMAT_VERSION}); update pix2paint"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
}

/// How a file's configs and tensors disagree with each other or with what pix2paint can build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Mismatch {
    /// Sizes no generator has.
    #[error("generator_config has impossible sizes (ngf {ngf}, channels {reads}→{writes})")]
    GeneratorSizes {
        /// Outermost filters.
        ngf: usize,
        /// Channels read.
        reads: usize,
        /// Channels written.
        writes: usize,
    },
    /// Channel counts or dropout out of range.
    #[error("generator_config has impossible channel counts or dropout")]
    GeneratorBounds,
    /// A network that does not map sketches to images.
    #[error(
        "the generator reads {reads} channels and writes {writes}; pix2paint paints sketches of \
         1 or 3 channels into images of 1 or 3 (a Lab colorization model, for one, writes 2 and \
         cannot be shown)"
    )]
    Channels {
        /// Channels read.
        reads: usize,
        /// Channels written.
        writes: usize,
    },
    /// Hint inputs of the wrong width.
    #[error(
        "generator_config has {found} hint channels; colour hints take {} (RGB and a mask)",
        crate::hints::CHANNELS
    )]
    HintChannels {
        /// Declared.
        found: usize,
    },
    /// A BatchNorm epsilon that is not positive.
    #[error("generator_config has a BatchNorm epsilon of {0}; it must be above 0")]
    Epsilon(f64),
    /// Sizes no discriminator has.
    #[error(
        "discriminator_config has impossible sizes (ndf {ndf}, layers {layers}, scales {scales})"
    )]
    DiscriminatorSizes {
        /// Outermost filters.
        ndf: usize,
        /// Strided layers.
        layers: usize,
        /// PatchGANs in all (1 to 3).
        scales: usize,
    },
    /// More weights declared than stored: a few bytes of config could ask for terabytes.
    #[error(
        "its configs declare networks of {:.1} M weights but it holds only {:.1} M",
        *declared as f64 / 1e6,
        *held as f64 / 1e6
    )]
    Holds {
        /// Weights the configs need.
        declared: u64,
        /// Weights the file stores.
        held: u64,
    },
    /// The header lacks the generator's config.
    #[error("no generator_config in the header")]
    NoConfig,
    /// A header entry that does not parse.
    #[error("unreadable {entry}: {reason}")]
    Unreadable {
        /// Which entry.
        entry: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A tensor the network needs is not in the file.
    #[error("tensor {0} is missing")]
    Missing(String),
    /// A tensor of the wrong shape.
    #[error("tensor {name} has shape {found:?}, the config needs {needed:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// Its shape.
        found: Vec<usize>,
        /// The network's.
        needed: Vec<usize>,
    },
    /// A tensor whose value count does not match its shape.
    #[error("tensor {name} has {values} values for shape {shape:?}")]
    Values {
        /// The tensor.
        name: String,
        /// Values held.
        values: usize,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A tensor stored as integers or booleans.
    #[error("tensor {name} is stored as {dtype}, expected a float type")]
    NotFloat {
        /// The tensor.
        name: String,
        /// Its stored type.
        dtype: String,
    },
    /// A NaN or infinite weight, which paints black or garbage without a word.
    #[error(
        "tensor {name} holds {value}: the model is damaged (a diverged training run writes such \
         files); use an earlier snapshot"
    )]
    NotFinite {
        /// The tensor.
        name: String,
        /// The value.
        value: f32,
    },
    /// Shapes whose element counts overflow.
    #[error("its variable shapes multiply to more elements than any file can hold")]
    Overflow,
    /// A tensor whose shape the layer it fills cannot take.
    #[error("tensor {name} has shape {shape:?}")]
    OddShape {
        /// The tensor.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// The first or last convolution is not 4-dimensional.
    #[error("its outer convolutions are not 4-dimensional")]
    OuterConvolutions,
    /// Tensors left over, or too few.
    #[error("it holds {held} network tensors but its configs describe {described}")]
    TensorCount {
        /// Network tensors in the file.
        held: usize,
        /// Tensors the configs' networks have.
        described: usize,
    },
}

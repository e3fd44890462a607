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
        /// Which tensor differs and how.
        detail: String,
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

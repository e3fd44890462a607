//! pix2paint: sketch a cat's outline and a pix2pix generator (Isola et al. 2017) paints it,
//! live, on any GPU through Burn's wgpu backend or on the CPU.
//!
//! The data path: a sketch image → [`tensor_image`] → [`model::Generator`] (owned by the
//! [`inference`] worker, on the device [`device`] chose) → an image. Weights and their
//! architecture travel together in the files [`weights`] reads and writes.

pub mod app;
pub mod assets;
pub mod canvas;
pub mod colour;
pub mod crash;
pub mod dataset;
pub mod device;
pub mod eval;
pub mod files;
pub mod gpu_image;
mod grid;
pub mod hints;
pub mod imaging;
pub mod inference;
pub mod kernels;
pub mod lines;
pub mod memory;
pub mod model;
pub mod rng;
pub mod segment;
pub mod signals;
pub mod tensor_image;
pub mod tiles;
pub mod train;
pub mod weights;

//! The pix2pix networks of Isola et al. 2017, "Image-to-Image Translation with Conditional
//! Adversarial Networks" (arXiv:1611.07004): the U-Net generator and the 70×70 PatchGAN
//! discriminator, with the run-time choices (normalisation statistics, dropout noise) that the
//! paper makes differently at training and at test time.

mod blocks;
pub mod discriminator;
pub mod ema;
pub mod generator;
pub mod icnr;
pub mod reduced;
pub mod seeded;
pub mod shapes;

pub use blocks::{DropoutNoise, NormStats};
pub use discriminator::{Discriminator, DiscriminatorConfig, Judgement};
pub use generator::{BiasStyle, DEPTH, Generator, GeneratorConfig, SIZE_MULTIPLE};

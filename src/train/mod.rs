//! pix2pix training (Isola et al. 2017, §3.3): the GAN step, checkpoints that resume exactly,
//! and the training loop shared by the CLI and the app's panel.
//!
//! Objective: G* = arg min_G max_D L_cGAN(G, D) + λ L_L1(G), with the vanilla (log) GAN loss, the
//! discriminator's loss halved, Adam (lr 2e-4, β1 0.5), λ = 100, batch statistics in BatchNorm
//! and dropout in the generator while training, and optional linear learning-rate decay.
//!
//! One file a concern: [`config`] (settings, losses, errors), [`limits`] (the ranges of the
//! settings users choose), [`gan`] (the networks and the
//! step), `objective` (its GAN and feature-matching terms), `params` (parameters and gradients on
//! the autodiff device), [`adam`] (the optimizer), [`batch`] (examples drawn into tensors), [`run`] (the loop
//! and its reports), [`thread`] (the loop on its own thread).

pub mod adam;
pub mod batch;
pub mod config;
pub mod gan;
pub mod limits;
mod objective;
pub(crate) mod params;
pub mod run;
pub mod thread;

pub use config::{
    Losses, MAX_STEPS, NetworkConfig, OptimizerConfig, SettingsProblem, TrainConfig, TrainError,
    steps_for_epochs,
};
pub use gan::Gan;
pub use run::{Control, Job, Start, TrainEvent, describe_split, run, samples};
pub use thread::{TrainerMessage, TrainerThread};

//! Foreground masks for the photos that have none: a small U-Net (the generator's own shape at
//! a narrow width, photo → one channel) trained on the photos that have a mask.
//!
//! The cat models draw their outline sketches and calm backgrounds from a photo's mask, and
//! only a fifth of the Oxford-IIIT cat photos come with one (its trimaps: 255 pet, 128 border,
//! 0 background). The segmenter learns from those with a per-pixel binary cross-entropy (border
//! pixels, which the trimaps leave undecided, carry no loss), under flips, pix2pix's jitter and
//! colour changes of any hue ([`crate::colour`]), so the coats of the masked breeds (mostly
//! Abyssinian and Bengal) do not decide what counts as cat. Its output is thresholded at one
//! half; [`refine`] keeps the largest region and fills its holes. Scored by intersection over
//! union against the trimaps, border excluded ([`Overlap`]).

mod mask;

pub use mask::{Overlap, predict, refine};

use crate::colour::Recolour;
use crate::model::seeded::{drawn, seeded};
use crate::model::{DropoutNoise, Generator, GeneratorConfig, NormStats};
use crate::rng::Rng as TrainRng;
use crate::tensor_image::images_to_tensor;
use crate::train::adam::FusedAdam;
use crate::weights::{self, ModelInfo, Precision, SaveRequest, WeightsError};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use image::imageops::FilterType;
use image::{GrayImage, RgbImage};
use rand::Rng;
use std::collections::BTreeMap;
use std::path::Path;

/// The name written into segmenter files.
pub const NAME: &str = "pix2paint cat segmenter";

/// Mask value of the trimaps' undecided border.
const BORDER: u8 = 128;

/// A segmenter run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentConfig {
    /// Filters in the outermost layer.
    pub ngf: usize,
    /// Optimizer steps.
    pub steps: u64,
    /// Photos per step.
    pub batch_size: usize,
    /// Adam learning rate (β₁ 0.9).
    pub lr: f64,
    /// Seed of the initialisation, the data order and the augmentation.
    pub seed: u64,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        Self {
            ngf: 16,
            steps: 3000,
            batch_size: 4,
            lr: 5e-4,
            seed: 5,
        }
    }
}

/// A photo with its mask (255 subject, 128 undecided, 0 background), same size.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The photo.
    pub photo: RgbImage,
    /// Its mask.
    pub mask: GrayImage,
}

/// The segmenter's architecture at width `ngf`: PyTorch pix2pix's `unet_256` reading RGB and
/// writing one channel, without dropout.
pub fn generator_config(ngf: usize) -> GeneratorConfig {
    GeneratorConfig::pytorch_unet()
        .with_ngf(ngf)
        .with_out_channels(1)
        .with_dropout_decoders(Vec::new())
}

/// A file that cannot serve as a segmenter.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// Not a readable model file.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// A model, but not photo → mask.
    #[error(
        "{path} is not a segmenter (it reads {reads} channels and writes {writes}; a segmenter \
         reads a photo and writes one channel): train one with `pix2paint segment train`"
    )]
    NotASegmenter {
        /// The file.
        path: std::path::PathBuf,
        /// Channels it reads.
        reads: usize,
        /// Channels it writes.
        writes: usize,
    },
}

/// Load a model file that must be a segmenter (photo → one channel).
fn load_file(path: &Path, device: &Device) -> Result<weights::ModelFile, SegmentError> {
    let model = weights::load(path, device)?;
    let c = &model.generator_config;
    if c.out_channels != 1 || c.input_channels() != 3 {
        return Err(SegmentError::NotASegmenter {
            path: path.to_owned(),
            reads: c.input_channels(),
            writes: c.out_channels,
        });
    }
    Ok(model)
}

/// Load a segmenter for prediction, refusing models that are not one.
pub fn load(path: &Path, device: &Device) -> Result<(Generator, NormStats), SegmentError> {
    let model = load_file(path, device)?;
    Ok((model.generator, model.info.inference_stats))
}

/// A segmenter being trained.
pub struct SegmentTrainer {
    g: Generator,
    g_config: GeneratorConfig,
    optim: ModuleOptimizer,
    rng: TrainRng,
    config: SegmentConfig,
    /// Optimizer steps done.
    pub step: u64,
}

impl SegmentTrainer {
    /// A new network. `device` must be an autodiff device.
    pub fn new(config: SegmentConfig, device: &Device) -> Self {
        let g_config = generator_config(config.ngf);
        Self {
            g: seeded(device, config.seed, || drawn(g_config.init_icnr(device))),
            g_config,
            optim: ModuleOptimizer::from(FusedAdam::new(0.9)),
            rng: TrainRng::seed_from_u64(config.seed),
            config,
            step: 0,
        }
    }

    /// Continue training a saved segmenter (its step count carries on; Adam starts afresh).
    /// `device` must be an autodiff device.
    pub fn resume(
        path: &Path,
        config: SegmentConfig,
        device: &Device,
    ) -> Result<Self, SegmentError> {
        let model = load_file(path, device)?;
        Ok(Self {
            g: crate::train::params::trainable(model.generator),
            g_config: model.generator_config,
            optim: ModuleOptimizer::from(FusedAdam::new(0.9)),
            rng: TrainRng::seed_from_u64(config.seed ^ model.info.steps),
            config,
            step: model.info.steps,
        })
    }

    /// One step on a batch drawn from `data` (at the network's 256² side); returns the loss.
    ///
    /// # Panics
    /// If `data` is empty.
    pub fn step(&mut self, data: &[Labelled], device: &Device) -> f32 {
        let side = crate::model::SIZE_MULTIPLE as u32;
        let examples: Vec<(RgbImage, GrayImage)> = (0..self.config.batch_size)
            .map(|_| {
                let ex = &data[self.rng.random_range(0..data.len())];
                augment(ex, side, &mut self.rng)
            })
            .collect();
        let photos: Vec<&RgbImage> = examples.iter().map(|(p, _)| p).collect();
        let x = images_to_tensor(&photos, device); // [B, 3, H, W]
        let n = (side * side) as usize;
        let (mut target, mut weight) = (Vec::with_capacity(n * photos.len()), Vec::new());
        for (_, mask) in &examples {
            for p in mask.pixels() {
                target.push(if p[0] > BORDER { 1.0f32 } else { 0.0 });
                weight.push(if p[0] == BORDER { 0.0f32 } else { 1.0 });
            }
        }
        let shape = [photos.len(), 1, side as usize, side as usize];
        let target = Tensor::<4>::from_data(TensorData::new(target, shape), device);
        let weight = Tensor::<4>::from_data(TensorData::new(weight, shape), device);
        let y = self
            .g
            .forward(x, NormStats::Train, None::<&mut DropoutNoise>); // [B, 1, H, W]
        let p = ((y + 1.0) * 0.5).clamp(1e-6, 1.0 - 1e-6);
        let bce =
            (target.clone() * p.clone().log() + (target.neg() + 1.0) * (p.neg() + 1.0).log()).neg();
        let loss = (bce * weight.clone()).sum() / weight.sum().clamp_min(1.0);
        let value: f32 = loss.clone().into_scalar();
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.g);
        crate::train::params::settle_gradients(&mut grads, &self.g);
        self.g = self.optim.step(self.config.lr, self.g.clone(), grads);
        self.step += 1;
        value
    }

    /// The network as it stands, detached from autodiff, for prediction.
    pub fn segmenter(&self) -> Generator {
        self.g.sync_running_stats();
        self.g.valid()
    }

    /// Save the segmenter (a pix2paint model file: photo → mask, one channel).
    pub fn save(&self, path: &Path) -> Result<(), WeightsError> {
        let mut info = ModelInfo::named(NAME);
        info.description = "Foreground masks of cat photos: white where the cat is. Trained \
                            on the Oxford-IIIT Pet trimaps (CC BY-SA 4.0) by `pix2paint segment \
                            train`."
            .into();
        info.inference_stats = NormStats::Running;
        info.steps = self.step;
        let g = self.segmenter();
        weights::save(
            path,
            &SaveRequest {
                generator: &g,
                generator_config: &self.g_config,
                training_generator: None,
                discriminator: None,
                info: &info,
                extras: &BTreeMap::new(),
                precision: Precision::Full,
            },
        )
    }
}

/// Flip, pix2pix's jitter (resize to 286/256 of `side`, crop `side`) and a random colour
/// change (any hue; a tenth grey).
fn augment(ex: &Labelled, side: u32, rng: &mut impl Rng) -> (RgbImage, GrayImage) {
    let load = side * 286 / 256;
    let mut photo = image::imageops::resize(&ex.photo, load, load, FilterType::Triangle);
    let mut mask = image::imageops::resize(&ex.mask, load, load, FilterType::Nearest);
    let (x, y) = (
        rng.random_range(0..=load - side),
        rng.random_range(0..=load - side),
    );
    photo = image::imageops::crop_imm(&photo, x, y, side, side).to_image();
    mask = image::imageops::crop_imm(&mask, x, y, side, side).to_image();
    if rng.random_bool(0.5) {
        photo = image::imageops::flip_horizontal(&photo);
        mask = image::imageops::flip_horizontal(&mask);
    }
    let recolour = Recolour {
        hue: rng.random_range(0.0..360.0),
        saturation: if rng.random_bool(0.1) {
            0.0
        } else {
            rng.random_range(0.3..1.4)
        },
        brightness: rng.random_range(0.7..1.25),
    };
    (recolour.apply(&photo, None), mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn a_few_steps_find_a_drawn_square() {
        // A bright rectangle on a dark field: the mask is the rectangle.
        let labelled: Vec<Labelled> = (0..2u32)
            .map(|k| Labelled {
                photo: RgbImage::from_fn(256, 256, |x, y| {
                    let inside = (60 + k * 20..200).contains(&x) && (60..200).contains(&y);
                    image::Rgb(if inside { [220, 150, 90] } else { [30, 40, 50] })
                }),
                mask: GrayImage::from_fn(256, 256, |x, y| {
                    let inside = (60 + k * 20..200).contains(&x) && (60..200).contains(&y);
                    Luma([if inside { 255 } else { 0 }])
                }),
            })
            .collect();
        let device = Device::flex().autodiff();
        let mut t = SegmentTrainer::new(
            SegmentConfig {
                ngf: 4,
                steps: 40,
                batch_size: 2,
                lr: 3e-3,
                seed: 1,
            },
            &device,
        );
        // Judged by the overlap of the predicted masks, not by one step's loss, which depends
        // on its random crop and colours.
        let overlap = |t: &SegmentTrainer| {
            let g = t.segmenter();
            let inference = Device::flex();
            let mut o = Overlap::default();
            for ex in &labelled {
                o += Overlap::of(
                    &predict(&g, NormStats::Train, &ex.photo, &inference),
                    &ex.mask,
                );
            }
            o.iou()
        };
        let before = overlap(&t);
        for _ in 0..40 {
            t.step(&labelled, &device);
        }
        let after = overlap(&t);
        eprintln!("segmenter IoU {before:.3} → {after:.3}");
        // The seed fixes the untrained network (seeded draws do not interleave with other
        // tests'), so the overlap before is the same in every run; after must be a mask.
        assert!(after > 0.9 && after > before, "IoU {before} → {after}");
    }
}

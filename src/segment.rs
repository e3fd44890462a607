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

use crate::colour::Recolour;
use crate::model::{DropoutNoise, Generator, GeneratorConfig, NormStats};
use crate::rng::Rng as TrainRng;
use crate::tensor_image::images_to_tensor;
use crate::train::adam::FusedAdam;
use crate::weights::{self, ModelInfo, Precision, SaveRequest, WeightsError};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use image::imageops::FilterType;
use image::{GrayImage, Luma, RgbImage};
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

/// Load a segmenter for prediction, refusing models that are not one.
pub fn load(path: &Path, device: &Device) -> Result<(Generator, NormStats), SegmentError> {
    let model = weights::load(path, device)?;
    let c = &model.generator_config;
    if c.out_channels != 1 || c.input_channels() != 3 {
        return Err(SegmentError::NotASegmenter {
            path: path.to_owned(),
            reads: c.input_channels(),
            writes: c.out_channels,
        });
    }
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
        device.seed(config.seed);
        let g_config = generator_config(config.ngf);
        Self {
            g: g_config.init_icnr(device),
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
        let model = weights::load(path, device)?;
        let c = &model.generator_config;
        if c.out_channels != 1 || c.input_channels() != 3 {
            return Err(SegmentError::NotASegmenter {
                path: path.to_owned(),
                reads: c.input_channels(),
                writes: c.out_channels,
            });
        }
        Ok(Self {
            g: crate::train::gan::trainable(model.generator),
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
        crate::train::gan::settle_gradients(&mut grads, &self.g);
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

/// The segmenter's mask of `photo`: 255 subject, 0 background, at the photo's size
/// (the network runs at its training side, 256², and the answer is scaled back).
pub fn predict(g: &Generator, stats: NormStats, photo: &RgbImage, device: &Device) -> GrayImage {
    let side = crate::model::SIZE_MULTIPLE as u32;
    let (w, h) = photo.dimensions();
    let resized = image::imageops::resize(photo, side, side, FilterType::Triangle);
    let x = images_to_tensor(&[&resized], device); // [1, 3, 256, 256]
    let y = g.forward(x, stats, None::<&mut DropoutNoise>); // [1, 1, 256, 256]
    let values = y
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default();
    let prob = GrayImage::from_fn(side, side, |x, y| {
        let v = values.get((y * side + x) as usize).copied().unwrap_or(-1.0);
        Luma([((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8])
    });
    let prob = if (w, h) == (side, side) {
        prob
    } else {
        image::imageops::resize(&prob, w, h, FilterType::Triangle)
    };
    GrayImage::from_fn(w, h, |x, y| {
        Luma([if prob.get_pixel(x, y)[0] >= 128 {
            255
        } else {
            0
        }])
    })
}

/// Keep only the largest connected region of `mask` (4-neighbours) and fill the holes inside
/// it: a cat is one piece without holes, and stray blobs in the background are the
/// segmenter's mistakes.
pub fn refine(mask: &GrayImage) -> GrayImage {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let fg: Vec<bool> = mask.pixels().map(|p| p[0] > 0).collect();
    let regions = |inside: &dyn Fn(usize) -> bool| -> Vec<Vec<usize>> {
        let mut seen = vec![false; w * h];
        let mut out = Vec::new();
        for start in 0..w * h {
            if seen[start] || !inside(start) {
                continue;
            }
            seen[start] = true;
            let (mut stack, mut region) = (vec![start], Vec::new());
            while let Some(i) = stack.pop() {
                region.push(i);
                let (x, y) = (i % w, i / w);
                let mut visit = |j: usize| {
                    if !seen[j] && inside(j) {
                        seen[j] = true;
                        stack.push(j);
                    }
                };
                if x > 0 {
                    visit(i - 1);
                }
                if x + 1 < w {
                    visit(i + 1);
                }
                if y > 0 {
                    visit(i - w);
                }
                if y + 1 < h {
                    visit(i + w);
                }
            }
            out.push(region);
        }
        out
    };
    let mut keep = vec![false; w * h];
    if let Some(largest) = regions(&|i| fg[i]).into_iter().max_by_key(Vec::len) {
        for i in largest {
            keep[i] = true;
        }
    }
    // Holes: background regions that do not touch the border.
    let kept = keep.clone();
    for region in regions(&|i| !kept[i]) {
        let touches_border = region
            .iter()
            .any(|&i| i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1);
        if !touches_border {
            for i in region {
                keep[i] = true;
            }
        }
    }
    GrayImage::from_fn(w as u32, h as u32, |x, y| {
        Luma([if keep[y as usize * w + x as usize] {
            255
        } else {
            0
        }])
    })
}

/// Pixels of agreement between a predicted mask and a trimap, its undecided border left out;
/// summed over photos, [`Overlap::iou`] is the score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overlap {
    /// Subject in both.
    pub intersection: u64,
    /// Subject in either.
    pub union: u64,
}

impl Overlap {
    /// Compare `predicted` (non-zero = subject) with `truth` (a trimap: 255, 128, 0), same size.
    pub fn of(predicted: &GrayImage, truth: &GrayImage) -> Self {
        let mut o = Self::default();
        for (p, t) in predicted.pixels().zip(truth.pixels()) {
            if t[0] == BORDER {
                continue;
            }
            let (a, b) = (p[0] > 0, t[0] > BORDER);
            o.intersection += u64::from(a && b);
            o.union += u64::from(a || b);
        }
        o
    }

    /// Intersection over union (1 when both are empty).
    pub fn iou(&self) -> f64 {
        if self.union == 0 {
            1.0
        } else {
            self.intersection as f64 / self.union as f64
        }
    }
}

impl std::ops::AddAssign for Overlap {
    fn add_assign(&mut self, other: Self) {
        self.intersection += other.intersection;
        self.union += other.union;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refine_keeps_the_largest_region_and_fills_its_holes() {
        let mut m = GrayImage::new(20, 20);
        for y in 2..14 {
            for x in 2..14 {
                m.put_pixel(x, y, Luma([255]));
            }
        }
        m.put_pixel(7, 7, Luma([0])); // a hole
        m.put_pixel(17, 17, Luma([255])); // a stray blob
        let r = refine(&m);
        assert_eq!(r.get_pixel(7, 7)[0], 255);
        assert_eq!(r.get_pixel(17, 17)[0], 0);
        assert_eq!(r.get_pixel(0, 0)[0], 0);
        assert_eq!(r.pixels().filter(|p| p[0] > 0).count(), 144);
    }

    #[test]
    fn overlap_leaves_the_border_out() {
        let truth = GrayImage::from_fn(4, 1, |x, _| Luma([[255, 255, 128, 0][x as usize]]));
        let predicted = GrayImage::from_fn(4, 1, |x, _| Luma([[255, 0, 255, 255][x as usize]]));
        let o = Overlap::of(&predicted, &truth);
        assert_eq!((o.intersection, o.union), (1, 3));
        assert!((o.iou() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_few_steps_lower_the_loss_on_a_drawn_square() {
        // A bright square on a dark field: the mask is the square.
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
                steps: 12,
                batch_size: 2,
                lr: 2e-3,
                seed: 1,
            },
            &device,
        );
        let first = t.step(&labelled, &device);
        let mut last = first;
        for _ in 0..11 {
            last = t.step(&labelled, &device);
        }
        assert!(last < first * 0.8, "loss {first} → {last}");
    }
}

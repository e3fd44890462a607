//! Training examples drawn from a dataset into tensors: which pairs, their augmentation, the
//! simulated colour hints. Draws from the run's random state, so a resumed run continues the
//! same sequence.

use super::config::{TrainConfig, TrainError};
use crate::dataset::{Dataset, prepare_example};
use crate::hints::sample_training_hints;
use crate::imaging::ImageReadError;
use crate::rng::Rng as TrainRng;
use crate::tensor_image::{hints_to_tensor, images_to_tensor};
use burn::tensor::{Device, Tensor, TensorData};
use image::{GrayImage, RgbImage};
use rand::Rng;

/// The examples a run draws from: its training indices, split into photos with and without a
/// foreground mask for runs that weight the masked ones up ([`TrainConfig::masked_share`]).
#[derive(Debug, Clone)]
pub struct Pool {
    all: Vec<usize>,
    masked: Vec<usize>,
    unmasked: Vec<usize>,
    masked_share: Option<f64>,
}

impl Pool {
    /// The pool of `indices` of `data`, drawn with `masked_share` of the examples from the
    /// masked photos (when there are both kinds).
    pub fn new(data: &Dataset, indices: &[usize], masked_share: Option<f64>) -> Self {
        let (masked, unmasked) = match masked_share {
            Some(_) => indices.iter().partition(|&&i| data.has_mask(i)),
            None => (Vec::new(), Vec::new()),
        };
        Self {
            all: indices.to_vec(),
            masked,
            unmasked,
            masked_share,
        }
    }

    /// Draw `i` no more (its file vanished or broke during the run); the examples left.
    pub fn remove(&mut self, i: usize) -> usize {
        for side in [&mut self.all, &mut self.masked, &mut self.unmasked] {
            side.retain(|&k| k != i);
        }
        self.all.len()
    }

    /// How many of the pool's photos have a mask (counted only when a share is set).
    pub fn masked(&self) -> usize {
        self.masked.len()
    }

    /// One index at random. Without a share the draw is the one runs made before shares
    /// existed, so their checkpoints resume the same sequence.
    fn pick(&self, rng: &mut TrainRng) -> usize {
        match self.masked_share {
            Some(share) if !self.masked.is_empty() && !self.unmasked.is_empty() => {
                let side = if rng.random::<f64>() < share {
                    &self.masked
                } else {
                    &self.unmasked
                };
                side[rng.random_range(0..side.len())]
            }
            _ => self.all[rng.random_range(0..self.all.len())],
        }
    }
}

/// A batch: the generator's input `[B, 3 (+ 4), H, W]`, the photo `[B, 3, H, W]`, and the
/// L1 term's weight of each pixel `[B, 1, H, W]` when the run weights the background apart
/// ([`TrainConfig::lambda_background`]), all on the training device.
pub struct Batch {
    pub input: Tensor<4>,
    pub photo: Tensor<4>,
    pub l1_weight: Option<Tensor<4>>,
}

/// The L1 weight of each pixel of an example, relative to `lambda_l1`: 1 on the subject (mask
/// ≥ 128, the trimaps' undecided border included) and on examples without a mask,
/// `background` on the mask's background.
fn l1_weight(mask: Option<&GrayImage>, size: (u32, u32), background: f32) -> Vec<f32> {
    let (w, h) = size;
    match mask {
        Some(m) if m.dimensions() == size => m
            .pixels()
            .map(|p| if p[0] >= 128 { 1.0 } else { background })
            .collect(),
        _ => vec![1.0; (w * h) as usize],
    }
}

/// Draw `config.batch_size` examples at random from `pool` of `data` (augmented; with
/// hints when the generator takes `hint_channels`), as a [`Batch`] on `device`. An example that fails to load (deleted, truncated,
/// replaced during the run) leaves the pool and is told to `skipped`; more than 20 failures
/// in one batch, or an empty pool, end the run with the last error.
pub fn draw(
    data: &Dataset,
    pool: &mut Pool,
    config: &TrainConfig,
    hint_channels: usize,
    rng: &mut TrainRng,
    device: &Device,
    skipped: &mut dyn FnMut(usize, ImageReadError, usize),
) -> Result<Batch, TrainError> {
    let background = config
        .lambda_background
        .map(|bg| (bg / config.lambda_l1) as f32); // `lambda_l1` > 0 here (`problem`)
    let mut weights = Vec::new();
    let mut sketches = Vec::with_capacity(config.batch_size);
    let mut photos = Vec::with_capacity(config.batch_size);
    let mut hint_layers = Vec::with_capacity(config.batch_size);
    let mut failures = 0;
    while sketches.len() < config.batch_size {
        let i = pool.pick(rng);
        let loaded = match (&config.drawings, config.augment.sketch) {
            (Some(drawings), _) => data.load_drawn(i, drawings, rng),
            (None, true) => data.load_varied(i, rng),
            (None, false) => data.load(i),
        };
        match loaded {
            Ok(ex) => {
                let mut ex = prepare_example(&ex, config.resolution, &config.augment, rng);
                if let Some(hint_config) = &config.hints
                    && hint_channels > 0
                {
                    hint_layers.push(sample_training_hints(
                        &mut ex.photo,
                        ex.mask.as_ref(),
                        hint_config,
                        rng,
                    ));
                }
                if let Some(bg) = background {
                    weights.extend(l1_weight(ex.mask.as_ref(), ex.photo.dimensions(), bg));
                }
                sketches.push(ex.sketch);
                photos.push(ex.photo);
            }
            Err(e) => {
                failures += 1;
                let left = pool.remove(i);
                if failures > 20 || left == 0 {
                    return Err(TrainError::NoData(e));
                }
                skipped(i, e, left);
            }
        }
    }
    let s: Vec<&RgbImage> = sketches.iter().collect();
    let p: Vec<&RgbImage> = photos.iter().collect();
    let mut input = images_to_tensor(&s, device); // [B, 3, H, W]
    if !hint_layers.is_empty() {
        let h: Vec<&image::RgbaImage> = hint_layers.iter().collect();
        input = Tensor::cat(vec![input, hints_to_tensor(&h, device)], 1); // [B, 7, H, W]
    }
    let photo = images_to_tensor(&p, device);
    let l1_weight = background.map(|_| {
        let [b, _, h, w] = photo.dims();
        Tensor::<4>::from_data(TensorData::new(weights, [b, 1, h, w]), device)
    });
    Ok(Batch {
        input,
        photo,
        l1_weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Layout;
    use crate::weights::Direction;

    #[test]
    fn a_masked_share_draws_that_share_from_the_masked_photos() {
        let dir = tempfile::tempdir().unwrap();
        let (photos, masks) = (dir.path().join("photos"), dir.path().join("masks"));
        std::fs::create_dir(&photos).unwrap();
        std::fs::create_dir(&masks).unwrap();
        for i in 0..20u8 {
            RgbImage::from_pixel(32, 32, image::Rgb([i * 10, 90, 200]))
                .save(photos.join(format!("cat{i:02}.png")))
                .unwrap();
        }
        for i in [3, 11] {
            image::GrayImage::from_pixel(32, 32, image::Luma([255]))
                .save(masks.join(format!("cat{i:02}.png")))
                .unwrap();
        }
        let data = Dataset::open(&photos, Layout::Photos, Direction::AtoB, Some(masks)).unwrap();
        let all: Vec<usize> = (0..data.len()).collect();
        let masked_share = |pool: &Pool| {
            let mut rng = TrainRng::seed_from_u64(3);
            let n = 4000;
            let hits = (0..n)
                .filter(|_| data.has_mask(pool.pick(&mut rng)))
                .count();
            hits as f64 / n as f64
        };
        let weighted = Pool::new(&data, &all, Some(0.5));
        assert_eq!(weighted.masked(), 2);
        let share = masked_share(&weighted);
        assert!((0.46..0.54).contains(&share), "{share}");
        // Without a share, masked photos are as rare as they are in the folder (2 of 20).
        let share = masked_share(&Pool::new(&data, &all, None));
        assert!((0.07..0.13).contains(&share), "{share}");
    }

    #[test]
    fn the_background_of_a_masked_photo_gets_its_own_l1_weight() {
        let dir = tempfile::tempdir().unwrap();
        let (photos, masks) = (dir.path().join("photos"), dir.path().join("masks"));
        std::fs::create_dir(&photos).unwrap();
        std::fs::create_dir(&masks).unwrap();
        RgbImage::from_pixel(32, 32, image::Rgb([200, 120, 40]))
            .save(photos.join("cat.png"))
            .unwrap();
        // The subject: the left half (the trimaps' undecided 128 counts as subject).
        GrayImage::from_fn(32, 32, |x, _| {
            image::Luma([[255, 128, 0][(x / 11) as usize]])
        })
        .save(masks.join("cat.png"))
        .unwrap();
        let data = Dataset::open(&photos, Layout::Photos, Direction::AtoB, Some(masks)).unwrap();
        let config = TrainConfig {
            resolution: 32,
            augment: crate::dataset::Augment::NONE,
            lambda_l1: 100.0,
            lambda_background: Some(250.0),
            ..TrainConfig::default()
        };
        let device = Device::flex();
        let mut pool = Pool::new(&data, &[0], None);
        let mut rng = TrainRng::seed_from_u64(1);
        let mut skipped = |_: usize, e: ImageReadError, _: usize| panic!("{e}");
        let batch = draw(
            &data,
            &mut pool,
            &config,
            0,
            &mut rng,
            &device,
            &mut skipped,
        )
        .unwrap();
        let w = batch.l1_weight.expect("a background weight was asked for");
        assert_eq!(w.dims(), [1, 1, 32, 32]);
        let values = w.into_data().try_to_vec::<f32>().unwrap();
        for (i, v) in values.iter().enumerate() {
            let expected = if (i % 32) / 11 < 2 { 1.0 } else { 2.5 };
            assert_eq!(*v, expected, "pixel {i}");
        }
        // Without the setting there is no weight, and photos without a mask weigh 1 all over.
        let plain = TrainConfig {
            lambda_background: None,
            ..config.clone()
        };
        let batch = draw(&data, &mut pool, &plain, 0, &mut rng, &device, &mut skipped).unwrap();
        assert!(batch.l1_weight.is_none());
        assert_eq!(l1_weight(None, (4, 2), 3.0), vec![1.0; 8]);
    }
}

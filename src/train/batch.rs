//! Training examples drawn from a dataset into tensors: which pairs, their augmentation, the
//! simulated colour hints. Draws from the run's random state, so a resumed run continues the
//! same sequence.

use super::config::{TrainConfig, TrainError};
use crate::dataset::{Dataset, prepare_example};
use crate::hints::sample_hints;
use crate::rng::Rng as TrainRng;
use crate::tensor_image::{hints_to_tensor, images_to_tensor};
use burn::tensor::{Device, Tensor};
use image::RgbImage;
use rand::Rng;

/// Draw `config.batch_size` examples at random from `indices` of `data` (augmented; with
/// hints when the generator takes `hint_channels`), as the input `[B, 3 (+ 4), H, W]` and the
/// photo `[B, 3, H, W]` on `device`. Examples that fail to load are skipped; more than 20
/// failures in one batch end the run with the last error.
pub fn draw(
    data: &Dataset,
    indices: &[usize],
    config: &TrainConfig,
    hint_channels: usize,
    rng: &mut TrainRng,
    device: &Device,
) -> Result<(Tensor<4>, Tensor<4>), TrainError> {
    let mut sketches = Vec::with_capacity(config.batch_size);
    let mut photos = Vec::with_capacity(config.batch_size);
    let mut hint_layers = Vec::with_capacity(config.batch_size);
    let mut failures = 0;
    while sketches.len() < config.batch_size {
        let i = indices[rng.random_range(0..indices.len())];
        let loaded = if config.augment.sketch {
            data.load_varied(i, rng)
        } else {
            data.load(i)
        };
        match loaded {
            Ok(ex) => {
                let ex = prepare_example(&ex, config.resolution, &config.augment, rng);
                if let Some(hint_config) = &config.hints
                    && hint_channels > 0
                {
                    hint_layers.push(sample_hints(&ex.photo, ex.mask.as_ref(), hint_config, rng));
                }
                sketches.push(ex.sketch);
                photos.push(ex.photo);
            }
            Err(e) => {
                failures += 1;
                if failures > 20 {
                    return Err(TrainError::NoData(e));
                }
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
    Ok((input, images_to_tensor(&p, device)))
}

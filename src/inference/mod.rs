//! Running the generator: [`Painter`] turns one sketch into one image (the CLI and the worker
//! share it), and [`InferenceWorker`] (in `worker.rs`) owns a painter on its own thread for
//! the app.

mod worker;

pub use worker::{Event, InferenceWorker, Request};

use crate::model::reduced::Reduced;
use crate::model::{DropoutNoise, Generator, GeneratorConfig};
use crate::tensor_image::{hints_to_tensor, image_to_tensor, tensor_to_image};
use crate::weights::{ModelFile, ModelInfo};
use burn::tensor::{Device, Tensor};
use image::{RgbImage, RgbaImage};
use std::sync::Arc;

/// A generator ready for inference, with what it needs to run as pix2pix does at test time.
#[derive(Debug, Clone)]
pub struct Painter {
    /// The network.
    pub generator: Generator,
    /// Its architecture (dropout placement).
    pub config: GeneratorConfig,
    /// Its description (normalisation mode, name, direction).
    pub info: ModelInfo,
    /// Its weights quantised, when it paints at reduced precision
    /// ([`with_reduced_precision`](Self::with_reduced_precision)).
    pub reduced: Option<Arc<Reduced>>,
}

impl Painter {
    /// A painter from a loaded model file, moved onto `device`.
    pub fn from_model(model: ModelFile, device: &Device) -> Self {
        use burn::module::Module;
        let steps = model.trained_steps();
        Self {
            generator: model.generator.to_device(device),
            config: model.generator_config,
            info: ModelInfo {
                steps,
                ..model.info
            },
            reduced: None,
        }
    }

    /// This painter at reduced precision (`on`: 8-bit weights, 12-bit activations; see
    /// [`Reduced`]) where its device allows it and the CPU runs it faster
    /// ([`crate::kernels::reduced_precision_faster_here`]), or at fp32 (`!on`).
    pub fn with_reduced_precision(mut self, on: bool) -> Self {
        self.reduced = if on && crate::kernels::reduced_precision_faster_here() {
            self.reduced
                .or_else(|| Reduced::of(&self.generator).map(Arc::new))
        } else {
            None
        };
        self
    }

    /// The precision it paints at, for the user.
    pub fn precision(&self) -> &'static str {
        if self.reduced.is_some() {
            "8-bit weights"
        } else {
            "fp32"
        }
    }

    /// Paint one sketch (dark lines on white RGB, any size). Dropout is off unless a
    /// `variation` seed is given: then the seed's dropout noise gives a reproducible variant.
    pub fn paint(
        &self,
        sketch: &RgbImage,
        variation: Option<u64>,
        device: &Device,
    ) -> Result<RgbImage, NonFinitePainting> {
        self.paint_tensor(sketch, None, variation, device)
            .map(tensor_to_image)
    }

    /// Whether the model takes colour hints.
    pub fn takes_hints(&self) -> bool {
        self.config.hint_channels > 0
    }

    /// [`paint`](Self::paint) with colour hints (RGBA, the sketch's size; see
    /// [`crate::hints`]); a model without hint channels paints without them.
    pub fn paint_hinted(
        &self,
        sketch: &RgbImage,
        hints: Option<&RgbaImage>,
        variation: Option<u64>,
        device: &Device,
    ) -> Result<RgbImage, NonFinitePainting> {
        self.paint_tensor(sketch, hints, variation, device)
            .map(tensor_to_image)
    }

    /// [`paint`](Self::paint) without the read-back: the output tensor, [1, 3, H, W] in
    /// [-1, 1], left on `device` (for the GPU display path, `crate::gpu_image`).
    pub fn paint_tensor(
        &self,
        sketch: &RgbImage,
        hints: Option<&RgbaImage>,
        variation: Option<u64>,
        device: &Device,
    ) -> Result<Tensor<4>, NonFinitePainting> {
        let mut x = image_to_tensor(sketch, device); // [1, 3, H, W]
        if self.config.in_channels == 1 {
            // Models trained on grey sketches (PyTorch's `--input_nc 1`) read the grey value.
            x = x.mean_dim(1); // [1, 1, H, W]
        }
        let hints = hints
            .filter(|_| self.takes_hints())
            .map(|h| hints_to_tensor(&[h], device)); // [1, 4, H, W]
        let mut noise = variation.map(|seed| DropoutNoise::new(seed, self.config.dropout));
        let y = self.generator.forward_any_size(
            x,
            hints,
            self.info.inference_stats,
            noise.as_mut(),
            self.reduced.as_deref(),
        ); // [1, out_channels, H, W]
        // y − y is NaN exactly where y is NaN or infinite: one reduction finds both.
        if (y.clone() - y.clone()).is_nan().any().into_scalar::<bool>() {
            return Err(NonFinitePainting {
                model: self.info.name.clone(),
            });
        }
        Ok(if self.config.out_channels == 1 {
            y.repeat_dim(1, 3) // grey shown as RGB: [1, 3, H, W]
        } else {
            y
        })
    }
}

/// A painting that came out as NaN or infinite values: the model is broken (weights, or
/// statistics that a sketch drives to overflow), and showing it would show a black square.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the model \"{model}\" painted NaN or infinite values, so there is no picture; its weights \
     or statistics are broken: open another model or an earlier snapshot"
)]
pub struct NonFinitePainting {
    /// The model's name.
    pub model: String,
}

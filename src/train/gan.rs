//! The two networks, their optimizers and the run's random state: the pix2pix step, the
//! generator average, and checkpoints that resume exactly.

use super::adam::FusedAdam;
use super::config::{Losses, TrainConfig, TrainError};
use super::objective::{bce_with_logits, feature_matching};
use super::params::{settle_gradients, trainable};
use crate::hints;
use crate::model::seeded::{drawn, seeded};
use crate::model::{
    Discriminator, DiscriminatorConfig, DropoutNoise, Generator, GeneratorConfig, NormStats,
};
use crate::rng::Rng as TrainRng;
use crate::weights::{self, ModelFile, ModelInfo, Precision, SaveRequest, WeightsError};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The trainer's own state, checkpointed beside the networks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TrainerState {
    step: u64,
    rng: crate::rng::Rng,
    config: TrainConfig,
}

/// Both networks with their optimizers and the run's random state.
pub struct Gan {
    /// Generator (on an autodiff device).
    pub g: Generator,
    /// Its architecture.
    pub g_config: GeneratorConfig,
    /// The moving average of `g`'s weights (not on an autodiff device), when the run keeps one.
    pub ema: Option<Generator>,
    /// Discriminator.
    pub d: Discriminator,
    /// Its architecture.
    pub d_config: DiscriminatorConfig,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// Generator updates done.
    pub step: u64,
    rng: TrainRng,
    /// Description written into saved models.
    pub info: ModelInfo,
}

/// The networks of a run (what [`Gan`] holds besides its optimizers and random state).
struct Networks {
    g: Generator,
    g_config: GeneratorConfig,
    ema: Option<Generator>,
    d: Discriminator,
    d_config: DiscriminatorConfig,
}

fn adam(config: &TrainConfig) -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdam::new(config.optimizer.beta1))
}

impl Gan {
    /// New networks with pix2pix's initialisation. `device` must be an autodiff device.
    pub fn new(config: &TrainConfig, name: &str, device: &Device) -> Self {
        let g_config = config.generator();
        let d_config = config
            .network
            .discriminator(g_config.in_channels + g_config.out_channels);
        let mut info = ModelInfo::named(name);
        info.resolution = config.resolution as usize;
        let (g, d) = seeded(device, config.seed, || {
            let g = if config.network.icnr {
                trainable(g_config.init_icnr(device))
            } else {
                g_config.init(device)
            };
            (drawn(g), drawn(d_config.init(device)))
        });
        let nets = Networks {
            ema: config.ema_decay.map(|_| g.valid()),
            g,
            d,
            g_config,
            d_config,
        };
        Self::fresh(nets, info, config)
    }

    /// A run at step 0 with fresh optimizers and the seed's random state.
    fn fresh(nets: Networks, info: ModelInfo, config: &TrainConfig) -> Self {
        let optimizers = (adam(config), adam(config));
        let rng = TrainRng::seed_from_u64(config.seed);
        Self::assemble(nets, optimizers, 0, rng, info)
    }

    /// The one place a run is put together.
    fn assemble(
        nets: Networks,
        (optim_g, optim_d): (ModuleOptimizer, ModuleOptimizer),
        step: u64,
        rng: TrainRng,
        info: ModelInfo,
    ) -> Self {
        let Networks {
            g,
            g_config,
            ema,
            d,
            d_config,
        } = nets;
        Self {
            g,
            g_config,
            ema,
            d,
            d_config,
            optim_g,
            optim_d,
            step,
            rng,
            info,
        }
    }

    /// Fine-tune a loaded model: its generator, its discriminator when it has one (a fresh one
    /// otherwise), fresh optimizers. `device` must be an autodiff device.
    pub fn from_model(model: ModelFile, config: &TrainConfig, device: &Device) -> Self {
        let (d, d_config) = match model.discriminator {
            Some((d, c)) => seeded(device, config.seed, || {
                let d = trainable(d.to_device(device));
                let (d, c) = d.grown_to(c, config.network.d_scales, device);
                (drawn(d), c)
            }),
            None => {
                let c = config.network.discriminator(
                    model.generator_config.in_channels + model.generator_config.out_channels,
                );
                (seeded(device, config.seed, || drawn(c.init(device))), c)
            }
        };
        // A file with a weight average paints with it; its raw generator is where training goes on.
        let (mut g, mut average) = match model.training_generator {
            Some(raw) => (raw, model.generator),
            None => (model.generator.clone(), model.generator),
        };
        let mut g_config = model.generator_config;
        if config.hints.is_some() && g_config.hint_channels == 0 {
            g = g.with_hint_channels(hints::CHANNELS);
            average = average.with_hint_channels(hints::CHANNELS);
            g_config.hint_channels = hints::CHANNELS;
        }
        let nets = Networks {
            ema: config.ema_decay.map(|_| average.valid()),
            g: trainable(g.to_device(device)),
            g_config,
            d,
            d_config,
        };
        Self::fresh(nets, model.info, config)
    }

    /// One pix2pix step: discriminator update, then generator update (then the weight average).
    ///
    /// `input` is the sketch, followed by the hint channels when the generator takes them; the
    /// discriminator judges (sketch, photo) pairs, without the hints.
    ///
    /// # Shapes
    /// `input`: [B, 3 (+ 4), H, W], `photo`: [B, 3, H, W], in [-1, 1] on the training device
    pub fn step(&mut self, input: Tensor<4>, photo: Tensor<4>, config: &TrainConfig) -> Losses {
        self.step_weighted(input, photo, None, config)
    }

    /// [`Self::step`] with the L1 term weighted per pixel: `l1_weight` `[B, 1, H, W]`
    /// multiplies each pixel's distance before the mean (the background weighted apart,
    /// [`TrainConfig::lambda_background`]); `None`: every pixel 1.
    pub fn step_weighted(
        &mut self,
        input: Tensor<4>,
        photo: Tensor<4>,
        l1_weight: Option<Tensor<4>>,
        config: &TrainConfig,
    ) -> Losses {
        let l1_of = |fake: Tensor<4>, photo: Tensor<4>| {
            let distance = (fake - photo).abs(); // [B, 3, H, W]
            match &l1_weight {
                Some(w) => (distance * w.clone().repeat_dim(1, 3)).mean(),
                None => distance.mean(),
            }
        };
        let lr = config.lr_at(self.step);
        let stats = NormStats::Train;
        let sketch = input.clone().narrow(1, 0, self.g_config.in_channels); // [B, 3, H, W]
        let mut noise = DropoutNoise::from_rng(self.rng.clone(), self.g_config.dropout);
        let fake = self.g.forward(input, stats, Some(&mut noise)); // [B, 3, H, W]
        self.rng = noise.into_rng();

        if !config.gan {
            // The paper's L1-only baseline: the generator alone, no discriminator.
            let l1 = l1_of(fake, photo);
            let l1_value: f32 = l1.clone().into_scalar();
            let mut grads =
                GradientsParams::from_grads((l1 * config.lambda_l1).backward(), &self.g);
            settle_gradients(&mut grads, &self.g);
            self.g = self.optim_g.step(lr, self.g.clone(), grads);
            self.tie_phases(config);
            self.step += 1;
            self.update_average(config);
            return Losses {
                d: 0.0,
                g_gan: 0.0,
                g_l1: l1_value,
            };
        }

        // Discriminator: real pairs → 1, generated pairs → 0, summed over its scales as
        // pix2pixHD does.
        let real = self
            .d
            .judge_scales(sketch.clone(), photo.clone(), stats, false);
        let fake_d = self
            .d
            .judge_scales(sketch.clone(), fake.clone().detach(), stats, false);
        let loss_d = real
            .into_iter()
            .zip(fake_d)
            .map(|(r, f)| (bce_with_logits(r.logits, 1.0) + bce_with_logits(f.logits, 0.0)) * 0.5)
            .reduce(|a, b| a + b)
            .expect("a discriminator has one scale at least");
        let d_value: f32 = loss_d.clone().into_scalar();
        let mut grads = GradientsParams::from_grads(loss_d.backward(), &self.d);
        settle_gradients(&mut grads, &self.d);
        self.d = self.optim_d.step(lr, self.d.clone(), grads);

        // Generator: fool the updated discriminator, stay close to the photo in L1. D's weights
        // are constants here (pix2pix's `set_requires_grad(netD, False)`): autodiff then
        // computes only the gradient through D's input, not D's unused weight gradients.
        let d = self.d.clone().no_grad();
        let matching = config.feature_matching > 0.0;
        let judged = d.judge_scales(sketch.clone(), fake.clone(), stats, matching);
        let mut gan = judged
            .iter()
            .map(|j| bce_with_logits(j.logits.clone(), 1.0))
            .reduce(|a, b| a + b)
            .expect("a discriminator has one scale at least");
        if matching {
            gan = gan + feature_matching(&d, &judged, sketch, photo.clone(), config);
        }
        let l1 = l1_of(fake, photo);
        let (gan_value, l1_value): (f32, f32) =
            (gan.clone().into_scalar(), l1.clone().into_scalar());
        let loss_g = gan + l1 * config.lambda_l1;
        let mut grads = GradientsParams::from_grads(loss_g.backward(), &self.g);
        settle_gradients(&mut grads, &self.g);
        self.g = self.optim_g.step(lr, self.g.clone(), grads);
        self.tie_phases(config);
        self.step += 1;
        self.update_average(config);
        Losses {
            d: d_value,
            g_gan: gan_value,
            g_l1: l1_value,
        }
    }

    /// Project the decoders back onto tied sub-pixel phases, when the run keeps them tied.
    fn tie_phases(&mut self, config: &TrainConfig) {
        if !config.network.tie_phases {
            return;
        }
        for up in &mut self.g.up {
            up.conv.weight = up.conv.weight.clone().map(|w| {
                crate::model::icnr::tie_phases(w.detach())
                    .detach()
                    .require_grad()
            });
        }
    }

    /// Fold the step's generator into the weight average, when the run keeps one.
    fn update_average(&mut self, config: &TrainConfig) {
        if let (Some(decay), Some(average)) = (config.ema_decay, self.ema.take()) {
            self.g.sync_running_stats();
            let decay = crate::model::ema::decay_at(decay, self.step);
            self.ema = Some(crate::model::ema::update(average, &self.g, decay));
        }
    }

    /// The generator that paints (the weight average when the run keeps one), detached from
    /// autodiff, for previews and export.
    pub fn inference_generator(&self) -> Generator {
        match &self.ema {
            Some(average) => average.clone(),
            None => self.g.valid(),
        }
    }

    /// What the live canvas paints with at this step: [`Gan::inference_generator`] with its
    /// architecture and what the checkpoint file says of itself.
    pub fn painter(&self) -> crate::inference::Painter {
        crate::inference::Painter {
            generator: self.inference_generator(),
            config: self.g_config.clone(),
            info: self.info_now(),
            reduced: None,
        }
    }

    fn request<'a>(
        &'a self,
        info: &'a ModelInfo,
        extras: &'a BTreeMap<String, Vec<u8>>,
        precision: Precision,
    ) -> SaveRequest<'a> {
        SaveRequest {
            generator: self.ema.as_ref().unwrap_or(&self.g),
            generator_config: &self.g_config,
            training_generator: self.ema.as_ref().map(|_| &self.g),
            discriminator: Some((&self.d, &self.d_config)),
            info,
            extras,
            precision,
        }
    }

    fn info_now(&self) -> ModelInfo {
        let mut info = self.info.clone();
        info.steps += self.step;
        info
    }

    /// Save a model (G + D, no training state), e.g. the final result of a run.
    pub fn save_model(&self, path: &Path, precision: Precision) -> Result<(), WeightsError> {
        let info = self.info_now();
        weights::save(path, &self.request(&info, &BTreeMap::new(), precision))
    }

    /// Write a checkpoint atomically: networks, optimizer states, step, RNG and config.
    pub fn save_checkpoint(&self, path: &Path, config: &TrainConfig) -> Result<(), TrainError> {
        if let Some(problem) = config.problem() {
            return Err(TrainError::Checkpoint {
                path: path.to_owned(),
                detail: format!("not written: the settings cannot train ({problem})"),
            });
        }
        let mut extras = BTreeMap::new();
        let state = TrainerState {
            step: self.step,
            rng: self.rng.clone(),
            config: config.clone(),
        };
        extras.insert(
            weights::TRAINER_EXTRA.to_string(),
            serde_json::to_vec(&state).expect("trainer state serializes"),
        );
        for (name, optim) in [
            ("optimizer_g", &self.optim_g),
            ("optimizer_d", &self.optim_d),
        ] {
            let bytes = optim.into_bytes().map_err(|e| TrainError::Checkpoint {
                path: path.to_owned(),
                detail: format!("saving the optimizer state: {e}"),
            })?;
            extras.insert(name.to_string(), bytes.to_vec());
        }
        // The info keeps the steps from before this run; the run's own are in `trainer`
        // (`ModelFile::trained_steps` adds them).
        weights::save(path, &self.request(&self.info, &extras, Precision::Full))?;
        Ok(())
    }

    /// Resume from a checkpoint exactly where it stopped. `device` must be an autodiff device.
    pub fn resume(path: &Path, device: &Device) -> Result<(Self, TrainConfig), TrainError> {
        let model = weights::load(path, device).map_err(|e| match e {
            // The OS refused the file: nothing is wrong with it.
            e @ WeightsError::Io { .. } => TrainError::Weights(e),
            e => TrainError::Unresumable(e),
        })?;
        let bad = |detail: String| TrainError::Checkpoint {
            path: path.to_owned(),
            detail: format!(
                "{detail} (to start over without it, train with --fresh or move the file away)"
            ),
        };
        let state: TrainerState = model
            .extras
            .get(weights::TRAINER_EXTRA)
            .ok_or_else(|| {
                bad("not a training checkpoint (no trainer state); use it with --from".into())
            })
            .and_then(|b| {
                serde_json::from_slice(b).map_err(|e| bad(format!("trainer state: {e}")))
            })?;
        if let Some(problem) = state.config.problem() {
            return Err(bad(format!("its settings cannot train: {problem}")));
        }
        let (d, d_config) = model
            .discriminator
            .ok_or_else(|| bad("the checkpoint has no discriminator".into()))?;
        let load_optim = |name: &str| -> Result<ModuleOptimizer, TrainError> {
            let bytes = model
                .extras
                .get(name)
                .ok_or_else(|| bad(format!("the checkpoint has no {name}")))?;
            adam(&state.config)
                .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.clone()))
                .map_err(|e| bad(format!("{name}: {e}")))
        };
        let (g, ema) = match model.training_generator {
            Some(raw) => (raw, Some(model.generator)),
            None => (model.generator, None),
        };
        let ema = match (state.config.ema_decay, ema) {
            (Some(_), Some(average)) => Some(average.valid()),
            (Some(_), None) => Some(g.valid()),
            (None, _) => None,
        };
        let optimizers = (load_optim("optimizer_g")?, load_optim("optimizer_d")?);
        let nets = Networks {
            g,
            g_config: model.generator_config,
            ema,
            d,
            d_config,
        };
        let gan = Self::assemble(nets, optimizers, state.step, state.rng, model.info);
        Ok((gan, state.config))
    }

    /// The run's random state, which the data draws from too (so a resumed run draws the same
    /// examples, augmentations and hints).
    pub(crate) fn rng(&mut self) -> &mut TrainRng {
        &mut self.rng
    }
}

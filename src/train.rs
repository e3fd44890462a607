//! pix2pix training (Isola et al. 2017, §3.3): the GAN step, checkpoints that resume exactly,
//! and the training loop shared by the CLI and the app's panel.
//!
//! Objective: G* = arg min_G max_D L_cGAN(G, D) + λ L_L1(G), with the vanilla (log) GAN loss, the
//! discriminator's loss halved, Adam (lr 2e-4, β1 0.5), λ = 100, batch statistics in BatchNorm
//! and dropout in the generator while training, and optional linear learning-rate decay.

use crate::dataset::{Augment, Dataset, prepare_example};
use crate::hints::{self, HintConfig, sample_hints};
use crate::model::{
    DEPTH, Discriminator, DiscriminatorConfig, DropoutNoise, Generator, GeneratorConfig, NormStats,
    SIZE_MULTIPLE,
};
use crate::rng::Rng as TrainRng;
use crate::tensor_image::{hints_to_tensor, images_to_tensor, tensor_to_images};
use crate::weights::{self, ModelFile, ModelInfo, Precision, SaveRequest, WeightsError};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use image::RgbImage;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Hyper-parameters and schedule of a run; stored in checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Generator updates to reach.
    pub steps: u64,
    /// Examples per step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Adam β1.
    pub beta1: f32,
    /// Weight of the L1 term.
    pub lambda_l1: f64,
    /// Step from which the learning rate decays linearly to zero at `steps` (none: constant).
    pub decay_from: Option<u64>,
    /// Side of the training crops.
    pub resolution: u32,
    /// Augmentation.
    pub augment: Augment,
    /// Seed of the run (data order, augmentation, dropout).
    pub seed: u64,
    /// Write a checkpoint every this many steps.
    pub checkpoint_every: u64,
    /// Paint held-out previews every this many steps.
    pub sample_every: u64,
    /// Generator width for a new model.
    pub ngf: usize,
    /// Discriminator width for a new discriminator.
    pub ndf: usize,
    /// Train adversarially (pix2pix). Off: the L1-only U-Net of the paper's ablation, the
    /// discriminator is neither used nor updated.
    #[serde(default = "adversarial_default")]
    pub gan: bool,
    /// Simulated colour hints: a new model gets hint channels and learns from them, a model
    /// without them gains them (zero weights: it paints as before). None: no hints.
    #[serde(default)]
    pub hints: Option<HintConfig>,
    /// Keep an exponential moving average of the generator's weights with this decay, and save
    /// it as the model (the raw generator travels beside it to continue from). None: no average.
    #[serde(default)]
    pub ema_decay: Option<f64>,
    /// Initialise a new generator's transposed convolutions with ICNR (no checkerboard at step 0).
    #[serde(default)]
    pub icnr: bool,
}

fn adversarial_default() -> bool {
    true
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 10_000,
            batch_size: 1,
            lr: 2e-4,
            beta1: 0.5,
            lambda_l1: 100.0,
            decay_from: None,
            resolution: 256,
            augment: Augment::default(),
            seed: 1,
            checkpoint_every: 500,
            sample_every: 200,
            ngf: 64,
            ndf: 64,
            gan: true,
            hints: None,
            ema_decay: None,
            icnr: true,
        }
    }
}

impl TrainConfig {
    /// The learning rate at `step`.
    pub fn lr_at(&self, step: u64) -> f64 {
        match self.decay_from {
            Some(from) if step > from && self.steps > from => {
                self.lr * (1.0 - (step - from) as f64 / (self.steps - from) as f64).max(0.0)
            }
            _ => self.lr,
        }
    }
}

/// The losses of one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Losses {
    /// Discriminator loss (halved sum of real and fake BCE).
    pub d: f32,
    /// Generator adversarial loss.
    pub g_gan: f32,
    /// Generator L1 loss (before λ).
    pub g_l1: f32,
}

impl Losses {
    /// Whether every loss is a finite number.
    pub fn finite(&self) -> bool {
        self.d.is_finite() && self.g_gan.is_finite() && self.g_l1.is_finite()
    }
}

/// What goes wrong in training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A loss became NaN or infinite.
    #[error("a loss became {what} at step {step}")]
    NonFinite {
        /// The step.
        step: u64,
        /// "NaN" or "infinite".
        what: &'static str,
    },
    /// Reading or writing a model or checkpoint failed.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The checkpoint's training state is unreadable.
    #[error("{path}: {detail}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The dataset produced no usable example.
    #[error("no example of the dataset could be read ({0})")]
    NoData(String),
    /// A setting that cannot work.
    #[error("{0}")]
    Settings(String),
}

/// The trainer's own state, checkpointed beside the networks.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrainerState {
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

fn adam(config: &TrainConfig) -> ModuleOptimizer {
    AdamConfig::new().with_beta_1(config.beta1).init()
}

/// Make every parameter of a loaded module a fresh leaf of the autodiff graph that requires
/// gradients. Parameters written by the weights loader on an autodiff device are otherwise
/// not leaves, and the second backward pass of a step would find their tape consumed.
fn trainable<M: Module>(module: M) -> M {
    struct Leaves;
    impl burn::module::ModuleMapper for Leaves {
        fn map_float<const D: usize>(
            &mut self,
            param: burn::module::Param<Tensor<D>>,
        ) -> burn::module::Param<Tensor<D>> {
            param.map(|t| t.detach().autodiff().require_grad())
        }
    }
    module.map(&mut Leaves)
}

/// Work around a layout bug of burn 0.22's wgpu backend: the weight gradient of a convolution
/// with a single output channel (the PatchGAN's last layer) comes back with strides that the
/// optimizer's element-wise kernels misread, so all but a few of its weights got wrong updates
/// (caught by `tests/wgpu.rs`, which compares a training step on wgpu with the CPU). Gradients
/// of parameters with a size-1 dimension are small; they are rebuilt in a plain layout here.
fn settle_gradients<M: Module>(grads: &mut GradientsParams, module: &M) {
    struct Settle<'a>(&'a mut GradientsParams);
    impl burn::module::ModuleVisitor for Settle<'_> {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let shape = param.shape();
            if D < 2 || !shape.iter().any(|&d| d == 1) {
                return;
            }
            if let Some(g) = self.0.remove::<D>(param.id) {
                let device = g.device();
                let plain = Tensor::<D>::from_data(g.into_data(), &device);
                self.0.register::<D>(param.id, plain);
            }
        }
    }
    module.visit(&mut Settle(grads));
}

/// Binary cross-entropy of logits against a constant target, numerically stable.
fn bce_with_logits(x: Tensor<4>, target: f32) -> Tensor<1> {
    let loss = x.clone().clamp_min(0.0) - x.clone() * target + (x.abs().neg().exp() + 1.0).log();
    loss.mean()
}

impl Gan {
    /// New networks with pix2pix's initialisation. `device` must be an autodiff device.
    pub fn new(config: &TrainConfig, name: &str, device: &Device) -> Self {
        device.seed(config.seed);
        // New models are PyTorch pix2pix's unet_256 exactly, so `pix2paint export --to pth`
        // gives a file its code loads as is. Among its choices: no BatchNorm on the 1×1
        // innermost encoder block (at batch 1 it would normalise a single value per channel
        // to zero and the bottleneck would carry nothing), no biases before BatchNorm.
        let g_config = GeneratorConfig::pytorch_unet()
            .with_ngf(config.ngf)
            .with_hint_channels(if config.hints.is_some() {
                hints::CHANNELS
            } else {
                0
            });
        let d_config = DiscriminatorConfig::new().with_ndf(config.ndf);
        let mut info = ModelInfo::named(name);
        info.resolution = config.resolution as usize;
        let g = if config.icnr {
            trainable(g_config.init_icnr(device))
        } else {
            g_config.init(device)
        };
        Self {
            ema: config.ema_decay.map(|_| g.valid()),
            g,
            d: d_config.init(device),
            g_config,
            d_config,
            optim_g: adam(config),
            optim_d: adam(config),
            step: 0,
            rng: TrainRng::seed_from_u64(config.seed),
            info,
        }
    }

    /// Fine-tune a loaded model: its generator, its discriminator when it has one (a fresh one
    /// otherwise), fresh optimizers. `device` must be an autodiff device.
    pub fn from_model(model: ModelFile, config: &TrainConfig, device: &Device) -> Self {
        let (d, d_config) = match model.discriminator {
            Some((d, c)) => (trainable(d.to_device(device)), c),
            None => {
                device.seed(config.seed);
                let c = DiscriminatorConfig::new()
                    .with_ndf(config.ndf)
                    .with_in_channels(
                        model.generator_config.in_channels + model.generator_config.out_channels,
                    );
                (c.init(device), c)
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
        Self {
            ema: config.ema_decay.map(|_| average.valid()),
            g: trainable(g.to_device(device)),
            g_config,
            d,
            d_config,
            optim_g: adam(config),
            optim_d: adam(config),
            step: 0,
            rng: TrainRng::seed_from_u64(config.seed),
            info: model.info,
        }
    }

    /// One pix2pix step: discriminator update, then generator update (then the weight average).
    ///
    /// `input` is the sketch, followed by the hint channels when the generator takes them; the
    /// discriminator judges (sketch, photo) pairs, without the hints.
    ///
    /// # Shapes
    /// `input`: [B, 3 (+ 4), H, W], `photo`: [B, 3, H, W], in [-1, 1] on the training device
    pub fn step(&mut self, input: Tensor<4>, photo: Tensor<4>, config: &TrainConfig) -> Losses {
        let lr = config.lr_at(self.step);
        let stats = NormStats::Train;
        let sketch = input.clone().narrow(1, 0, self.g_config.in_channels); // [B, 3, H, W]
        let mut noise = DropoutNoise::from_rng(self.rng.clone(), self.g_config.dropout);
        let fake = self.g.forward(
            input,
            stats,
            Some(&mut noise),
            &self.g_config.dropout_decoders,
        ); // [B, 3, H, W]
        self.rng = noise.into_rng();

        if !config.gan {
            // The paper's L1-only baseline: the generator alone, no discriminator.
            let l1 = (fake - photo).abs().mean();
            let l1_value: f32 = l1.clone().into_scalar();
            let mut grads =
                GradientsParams::from_grads((l1 * config.lambda_l1).backward(), &self.g);
            settle_gradients(&mut grads, &self.g);
            self.g = self.optim_g.step(lr, self.g.clone(), grads);
            self.step += 1;
            self.update_average(config);
            return Losses {
                d: 0.0,
                g_gan: 0.0,
                g_l1: l1_value,
            };
        }

        // Discriminator: real pairs → 1, generated pairs → 0.
        let real = self.d.forward(sketch.clone(), photo.clone(), stats); // [B, 1, h, w]
        let fake_d = self.d.forward(sketch.clone(), fake.clone().detach(), stats);
        let loss_d = (bce_with_logits(real, 1.0) + bce_with_logits(fake_d, 0.0)) * 0.5;
        let d_value: f32 = loss_d.clone().into_scalar();
        let mut grads = GradientsParams::from_grads(loss_d.backward(), &self.d);
        settle_gradients(&mut grads, &self.d);
        self.d = self.optim_d.step(lr, self.d.clone(), grads);

        // Generator: fool the updated discriminator, stay close to the photo in L1.
        let judged = self.d.forward(sketch, fake.clone(), stats);
        let gan = bce_with_logits(judged, 1.0);
        let l1 = (fake - photo).abs().mean();
        let (gan_value, l1_value): (f32, f32) =
            (gan.clone().into_scalar(), l1.clone().into_scalar());
        let loss_g = gan + l1 * config.lambda_l1;
        let mut grads = GradientsParams::from_grads(loss_g.backward(), &self.g);
        settle_gradients(&mut grads, &self.g);
        self.g = self.optim_g.step(lr, self.g.clone(), grads);
        self.step += 1;
        self.update_average(config);
        Losses {
            d: d_value,
            g_gan: gan_value,
            g_l1: l1_value,
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
        let mut extras = BTreeMap::new();
        let state = TrainerState {
            step: self.step,
            rng: self.rng.clone(),
            config: config.clone(),
        };
        extras.insert(
            "trainer".to_string(),
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
        let mut info = self.info.clone();
        info.steps = self.info.steps; // steps before this run; the run's own are in `trainer`
        weights::save(path, &self.request(&info, &extras, Precision::Full))?;
        Ok(())
    }

    /// Resume from a checkpoint exactly where it stopped. `device` must be an autodiff device.
    pub fn resume(path: &Path, device: &Device) -> Result<(Self, TrainConfig), TrainError> {
        let model = weights::load(path, device)?;
        let bad = |detail: String| TrainError::Checkpoint {
            path: path.to_owned(),
            detail,
        };
        let state: TrainerState = model
            .extras
            .get("trainer")
            .ok_or_else(|| {
                bad("not a training checkpoint (no trainer state); use it with --from".into())
            })
            .and_then(|b| {
                serde_json::from_slice(b).map_err(|e| bad(format!("trainer state: {e}")))
            })?;
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
        let gan = Self {
            optim_g: load_optim("optimizer_g")?,
            optim_d: load_optim("optimizer_d")?,
            g,
            ema,
            g_config: model.generator_config,
            d,
            d_config,
            step: state.step,
            rng: state.rng,
            info: model.info,
        };
        Ok((gan, state.config))
    }

    /// Draw a batch of examples (with augmentation) as tensors on `device`.
    pub fn batch(
        &mut self,
        data: &Dataset,
        indices: &[usize],
        config: &TrainConfig,
        device: &Device,
    ) -> Result<(Tensor<4>, Tensor<4>), TrainError> {
        let mut sketches = Vec::with_capacity(config.batch_size);
        let mut photos = Vec::with_capacity(config.batch_size);
        let mut hint_layers = Vec::with_capacity(config.batch_size);
        let mut failures = 0;
        while sketches.len() < config.batch_size {
            let i = indices[self.rng.random_range(0..indices.len())];
            let loaded = if config.augment.sketch {
                data.load_varied(i, &mut self.rng)
            } else {
                data.load(i)
            };
            match loaded {
                Ok(ex) => {
                    let ex =
                        prepare_example(&ex, config.resolution, &config.augment, &mut self.rng);
                    if let Some(hint_config) = &config.hints
                        && self.g_config.hint_channels > 0
                    {
                        hint_layers.push(sample_hints(
                            &ex.photo,
                            ex.mask.as_ref(),
                            hint_config,
                            &mut self.rng,
                        ));
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
}

/// Where a run starts from.
#[derive(Debug, Clone)]
pub enum Start {
    /// New networks.
    Fresh {
        /// Name of the model to write.
        name: String,
    },
    /// Fine-tune this model file.
    FineTune(PathBuf),
    /// Continue this checkpoint.
    Resume(PathBuf),
}

/// A training run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The data.
    pub data: Dataset,
    /// The schedule (ignored when resuming: the checkpoint's own is used, `steps` excepted).
    pub config: TrainConfig,
    /// Where to start.
    pub start: Start,
    /// The model written at the end (and on stop).
    pub output: PathBuf,
    /// The checkpoint file.
    pub checkpoint: PathBuf,
}

/// Reports from a run.
#[derive(Debug, Clone)]
pub enum TrainEvent {
    /// The run started.
    Started {
        /// Step it starts at.
        step: u64,
        /// Steps to reach.
        total: u64,
        /// Training / held-out examples.
        examples: (usize, usize),
    },
    /// A step finished.
    Progress {
        /// Steps done.
        step: u64,
        /// Steps to reach.
        total: u64,
        /// This step's losses.
        losses: Losses,
        /// Recent speed.
        steps_per_sec: f64,
        /// Estimated time left.
        eta: Duration,
        /// Share of the step spent reading and preparing its examples (the rest is the GAN).
        data_share: f64,
    },
    /// Previews on held-out examples: (sketch, generated, target).
    Samples {
        /// At which step.
        step: u64,
        /// The triples.
        images: Vec<(RgbImage, RgbImage, RgbImage)>,
    },
    /// A checkpoint was written (also a usable model).
    Checkpoint {
        /// At which step.
        step: u64,
        /// The file.
        path: PathBuf,
    },
    /// A loss became NaN/infinite: the last good checkpoint was restored and the run stopped.
    Diverged {
        /// Step where it happened.
        step: u64,
        /// Step of the restored checkpoint.
        restored: u64,
    },
    /// Paused (true) or resumed (false).
    Paused(bool),
    /// The run ended and the model was written.
    Finished {
        /// Steps done.
        step: u64,
        /// The model file.
        path: PathBuf,
    },
}

/// Control messages for a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Pause after the current step.
    Pause,
    /// Continue.
    Resume,
    /// Write the model and stop.
    Stop,
}

/// Run a job to its end (or until stopped). `device` must be an autodiff device. Events are
/// passed to `report`; `control` is polled between steps.
pub fn run(
    job: &Job,
    device: &Device,
    mut report: impl FnMut(TrainEvent),
    control: &Receiver<Control>,
) -> Result<(), TrainError> {
    let side = job.config.resolution as usize;
    if side == 0 || !side.is_multiple_of(SIZE_MULTIPLE) {
        return Err(TrainError::Settings(format!(
            "the training resolution must be a multiple of {SIZE_MULTIPLE} (the U-Net halves \
             it {DEPTH} times); {side} is not"
        )));
    }
    if job.config.batch_size == 0 || job.config.steps == 0 {
        return Err(TrainError::Settings(
            "batch size and step count must be at least 1".into(),
        ));
    }
    let (mut gan, config) = match &job.start {
        Start::Fresh { name } => (Gan::new(&job.config, name, device), job.config.clone()),
        Start::FineTune(path) => {
            let model = weights::load(path, device)?;
            (
                Gan::from_model(model, &job.config, device),
                job.config.clone(),
            )
        }
        Start::Resume(path) => {
            let (gan, mut config) = Gan::resume(path, device)?;
            config.steps = job.config.steps.max(gan.step);
            (gan, config)
        }
    };
    // Writes of an earlier run killed mid-checkpoint leave their temporary files behind.
    for path in [&job.checkpoint, &job.output] {
        crate::files::remove_stale_temporaries(path);
    }
    let (train, held_out) = job.data.split(20);
    report(TrainEvent::Started {
        step: gan.step,
        total: config.steps,
        examples: (train.len(), held_out.len()),
    });
    // A first checkpoint, so that a diverging run always has something to go back to.
    if !matches!(job.start, Start::Resume(_)) {
        gan.save_checkpoint(&job.checkpoint, &config)?;
    }
    let mut last_good = gan.step;
    let mut speed = SpeedMeter::default();
    let mut paused = false;
    while gan.step < config.steps {
        match if paused {
            control.recv().map_err(|_| TryRecvError::Disconnected)
        } else {
            control.try_recv()
        } {
            Ok(Control::Stop) | Err(TryRecvError::Disconnected) => break,
            Ok(Control::Pause) => {
                if !paused {
                    paused = true;
                    report(TrainEvent::Paused(true));
                }
                continue;
            }
            Ok(Control::Resume) => {
                if paused {
                    paused = false;
                    speed = SpeedMeter::default();
                    report(TrainEvent::Paused(false));
                }
            }
            Err(TryRecvError::Empty) => {}
        }
        let t = Instant::now();
        let (sketch, photo) = gan.batch(&job.data, &train, &config, device)?;
        let data_time = t.elapsed();
        let losses = gan.step(sketch, photo, &config);
        if !losses.finite() {
            let step = gan.step;
            // Go back to the last good state and leave it as the run's model.
            let (restored, _) = Gan::resume(&job.checkpoint, device)?;
            restored.save_model(&job.output, Precision::Full)?;
            report(TrainEvent::Diverged {
                step,
                restored: last_good,
            });
            return Err(TrainError::NonFinite {
                step,
                what: if losses.d.is_nan() || losses.g_gan.is_nan() || losses.g_l1.is_nan() {
                    "NaN"
                } else {
                    "infinite"
                },
            });
        }
        speed.add(t.elapsed());
        report(TrainEvent::Progress {
            step: gan.step,
            total: config.steps,
            losses,
            steps_per_sec: speed.per_sec(),
            eta: speed.eta(config.steps - gan.step),
            data_share: data_time.as_secs_f64() / t.elapsed().as_secs_f64().max(1e-9),
        });
        if gan.step % config.checkpoint_every.max(1) == 0 {
            gan.save_checkpoint(&job.checkpoint, &config)?;
            last_good = gan.step;
            report(TrainEvent::Checkpoint {
                step: gan.step,
                path: job.checkpoint.clone(),
            });
        }
        if config.sample_every > 0 && gan.step % config.sample_every == 0 {
            report(TrainEvent::Samples {
                step: gan.step,
                images: samples(&gan, &job.data, &held_out, config.resolution),
            });
        }
    }
    gan.save_checkpoint(&job.checkpoint, &config)?;
    gan.save_model(&job.output, Precision::Full)?;
    report(TrainEvent::Finished {
        step: gan.step,
        path: job.output.clone(),
    });
    Ok(())
}

/// How a run's examples were split, in words.
pub fn describe_split(train: usize, held_out: usize) -> String {
    if train == held_out {
        format!(
            "training on {train} pairs (too few to hold some out: previews show training pairs)"
        )
    } else {
        format!("training on {train} pairs, previews from {held_out} held-out ones")
    }
}

/// Paint up to four held-out examples with the current generator (dropout off, as at test time).
pub fn samples(
    gan: &Gan,
    data: &Dataset,
    held_out: &[usize],
    resolution: u32,
) -> Vec<(RgbImage, RgbImage, RgbImage)> {
    let g = gan.inference_generator();
    let device = g.devices().first().cloned().unwrap_or_else(Device::flex);
    let plain = Augment {
        jitter: false,
        flip: false,
        sketch: false,
    };
    let mut rng = TrainRng::seed_from_u64(0);
    held_out
        .iter()
        .take(4)
        .filter_map(|&i| data.load(i).ok())
        .map(|ex| {
            let ex = prepare_example(&ex, resolution, &plain, &mut rng);
            let x = images_to_tensor(&[&ex.sketch], &device);
            let y = g.forward(x, NormStats::Batch, None, &[]);
            let painted = tensor_to_images(y).remove(0);
            (ex.sketch, painted, ex.photo)
        })
        .collect()
}

/// Steps per second over the recent steps, and the time left.
#[derive(Default)]
struct SpeedMeter {
    recent: std::collections::VecDeque<Duration>,
}

impl SpeedMeter {
    fn add(&mut self, d: Duration) {
        self.recent.push_back(d);
        if self.recent.len() > 20 {
            self.recent.pop_front();
        }
    }
    fn per_sec(&self) -> f64 {
        let total: f64 = self.recent.iter().map(Duration::as_secs_f64).sum();
        if total > 0.0 {
            self.recent.len() as f64 / total
        } else {
            0.0
        }
    }
    fn eta(&self, steps_left: u64) -> Duration {
        let s = self.per_sec();
        if s > 0.0 {
            Duration::from_secs_f64(steps_left as f64 / s)
        } else {
            Duration::ZERO
        }
    }
}

/// What the training thread sends to the app.
#[derive(Debug)]
pub enum TrainerMessage {
    /// A report from the loop.
    Event(TrainEvent),
    /// The run is over: `Ok` when it finished or was stopped, `Err` with the reason otherwise.
    Done(Result<(), String>),
}

/// A training run on its own thread, so that drawing never stalls.
pub struct TrainerThread {
    control: std::sync::mpsc::Sender<Control>,
    messages: Receiver<TrainerMessage>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl TrainerThread {
    /// Start `job` on `device` (made an autodiff device here). `notify` runs after each message.
    pub fn spawn(job: Job, device: Device, notify: impl Fn() + Send + 'static) -> Self {
        let (control, control_rx) = std::sync::mpsc::channel();
        let (tx, messages) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("pix2paint-trainer".into())
            .spawn(move || {
                let device = device.autodiff();
                let send = |m: TrainerMessage| {
                    let _ = tx.send(m);
                    notify();
                };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(
                        &job,
                        &device,
                        |e| send(TrainerMessage::Event(e)),
                        &control_rx,
                    )
                }));
                let result = match outcome {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(p) => Err(format!(
                        "training crashed: {}",
                        crate::inference::panic_text(&p)
                    )),
                };
                send(TrainerMessage::Done(result));
            })
            .expect("spawning a thread only fails when the OS is out of resources");
        Self {
            control,
            messages,
            handle: Some(handle),
        }
    }

    /// Pause, resume or stop the run.
    pub fn send(&self, c: Control) {
        let _ = self.control.send(c);
    }

    /// The next message, if any.
    pub fn try_recv(&self) -> Option<TrainerMessage> {
        self.messages.try_recv().ok()
    }
}

impl Drop for TrainerThread {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

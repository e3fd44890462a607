//! The pix2paint weights file: one self-describing file holding a generator, and when present
//! its discriminator and training state, together with their configs.
//!
//! The container is [safetensors](https://github.com/huggingface/safetensors) (so PyTorch and
//! others can read the tensors directly), with this layout:
//! - tensors `generator.<module path>` and `discriminator.<module path>`, in F32 or F16;
//! - when `generator` is a moving average of a run's weights (what paints best), the raw
//!   iterate that training continues from as `training_generator.<module path>`;
//! - opaque training blobs as U8 tensors `extra.<name>` (optimizer state, trainer state);
//! - header metadata: `format = "pix2paint"`, `format_version`, `generator_config` and
//!   `discriminator_config` (JSON of [`GeneratorConfig`] / [`DiscriminatorConfig`]), `info`
//!   (JSON of [`ModelInfo`]) and `param_ids` (module path → Burn parameter id, so optimizer state
//!   keyed by id resumes exactly).
//!
//! Loading reads the configs first, builds the networks from them, then fills every parameter,
//! checking names and shapes: a file never needs its architecture known in advance, and a file
//! that does not match what it declares is refused with the tensor that differs.

use crate::model::{
    Discriminator, DiscriminatorConfig, Generator, GeneratorConfig, NormStats,
    generator::SIZE_MULTIPLE,
};
use burn::config::Config;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensorError, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Value of the `format` metadata key.
const FORMAT: &str = "pix2paint";
/// Tensor-name prefix of the raw training generator (see [`ModelFile::training_generator`]).
const TRAINING_GENERATOR: &str = "training_generator";
/// Version of the layout described in the module doc.
const FORMAT_VERSION: u32 = 1;
/// The file extension pix2paint writes.
pub const EXTENSION: &str = "safetensors";

/// Which image the model takes and which it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Direction {
    /// Sketch (A) → photo (B).
    #[default]
    AtoB,
    /// B → A: the model was trained the other way round.
    BtoA,
}

/// What a model says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Short name shown in the status bar.
    pub name: String,
    /// Free text: what it was trained on, what input it expects.
    #[serde(default)]
    pub description: String,
    /// Direction it was trained in.
    #[serde(default)]
    pub direction: Direction,
    /// Normalisation statistics to use at inference (see [`NormStats`]).
    #[serde(default = "default_stats")]
    pub inference_stats: NormStats,
    /// Side length of the training images (the canvas resolution the model expects).
    #[serde(default = "default_resolution")]
    pub resolution: usize,
    /// Generator updates it has been trained for.
    #[serde(default)]
    pub steps: u64,
}

fn default_stats() -> NormStats {
    NormStats::Batch
}

fn default_resolution() -> usize {
    SIZE_MULTIPLE
}

impl ModelInfo {
    /// Info for a model with this name and pix2paint's defaults.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            direction: Direction::AtoB,
            inference_stats: default_stats(),
            resolution: default_resolution(),
            steps: 0,
        }
    }
}

/// Storage precision of float tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 32-bit floats: exact.
    Full,
    /// 16-bit floats: half the size, ~1e-3 relative error.
    Half,
}

/// A weights file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The OS refused the file.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not a pix2paint weights file at all.
    #[error(
        "{path} is not a pix2paint weights file ({reason}). Open a pix2paint model (.safetensors, from `pix2paint train` or weights/), a PyTorch pix2pix generator (latest_net_G.pth) or a pix2pix web demo model (.pict)"
    )]
    NotWeights {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The file ends early: an interrupted download or copy.
    #[error(
        "{path} is truncated or damaged ({reason}); download or copy it again, or use an earlier checkpoint"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The declared architecture and the stored tensors disagree.
    #[error("{path} does not hold the architecture it declares: {detail}")]
    Architecture {
        /// The file.
        path: PathBuf,
        /// Which tensor differs and how.
        detail: String,
    },
    /// A model of a kind this version cannot run yet.
    #[error("{path} is a model pix2paint cannot run yet: {detail}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it is, and what is supported.
        detail: String,
    },
    /// Written by a newer pix2paint.
    #[error(
        "{path} uses weights format version {found}, newer than this pix2paint understands ({FORMAT_VERSION}); update pix2paint"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
}

/// Everything a weights file holds, loaded onto a device.
#[derive(Debug)]
pub struct ModelFile {
    /// The generator, ready to run.
    pub generator: Generator,
    /// Its architecture.
    pub generator_config: GeneratorConfig,
    /// The generator that training continues from, when the file paints with another one (a
    /// run with a weight average: `generator` is then the average, this the raw iterate).
    pub training_generator: Option<Generator>,
    /// The discriminator, when the file carries one (for fine-tuning).
    pub discriminator: Option<(Discriminator, DiscriminatorConfig)>,
    /// What the model says about itself.
    pub info: ModelInfo,
    /// Opaque training blobs by name (optimizer and trainer state).
    pub extras: BTreeMap<String, Vec<u8>>,
}

/// What to write into a weights file.
pub struct SaveRequest<'a> {
    /// The generator.
    pub generator: &'a Generator,
    /// Its architecture.
    pub generator_config: &'a GeneratorConfig,
    /// The raw training iterate, when `generator` is its moving average (same architecture).
    pub training_generator: Option<&'a Generator>,
    /// The discriminator, if it should travel with the generator.
    pub discriminator: Option<(&'a Discriminator, &'a DiscriminatorConfig)>,
    /// Model description.
    pub info: &'a ModelInfo,
    /// Opaque training blobs by name.
    pub extras: &'a BTreeMap<String, Vec<u8>>,
    /// Float storage precision.
    pub precision: Precision,
}

/// Collects float parameters with their module paths.
struct Collector {
    prefix: &'static str,
    path: Vec<String>,
    out: Vec<(String, ParamId, TensorData)>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let name = format!("{}.{}", self.prefix, self.path.join("."));
        self.out.push((name, param.id, param.val().into_data()));
    }
}

/// Every float tensor of `module` (parameters and running statistics) as `prefix.<module path>`.
pub(crate) fn collect<M: Module>(
    module: &M,
    prefix: &'static str,
) -> Vec<(String, ParamId, TensorData)> {
    let mut c = Collector {
        prefix,
        path: Vec::new(),
        out: Vec::new(),
    };
    module.visit(&mut c);
    c.out
}

/// An owned tensor in safetensors form.
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl safetensors::View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn to_raw(data: TensorData, precision: Precision) -> Raw {
    let shape = data.shape().to_vec();
    let values = data
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 after convert");
    let (dtype, bytes) = match precision {
        Precision::Full => (Dtype::F32, bytemuck::cast_slice(&values).to_vec()),
        Precision::Half => {
            let h: Vec<half::f16> = values.iter().map(|&v| half::f16::from_f32(v)).collect();
            (Dtype::F16, bytemuck::cast_slice(&h).to_vec())
        }
    };
    Raw {
        dtype,
        shape,
        bytes,
    }
}

/// Serialize a model to bytes in the pix2paint format.
pub fn to_bytes(req: &SaveRequest<'_>) -> Vec<u8> {
    let mut tensors: Vec<(String, Raw)> = Vec::new();
    let mut ids: BTreeMap<String, u64> = BTreeMap::new();
    req.generator.sync_running_stats();
    let mut params = collect(req.generator, "generator");
    if let Some(g) = req.training_generator {
        g.sync_running_stats();
        params.extend(collect(g, TRAINING_GENERATOR));
    }
    if let Some((d, _)) = req.discriminator {
        d.sync_running_stats();
        params.extend(collect(d, "discriminator"));
    }
    for (name, id, data) in params {
        ids.insert(name.clone(), id.val());
        tensors.push((name, to_raw(data, req.precision)));
    }
    for (name, blob) in req.extras {
        tensors.push((
            format!("extra.{name}"),
            Raw {
                dtype: Dtype::U8,
                shape: vec![blob.len()],
                bytes: blob.clone(),
            },
        ));
    }
    let mut meta = HashMap::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("format_version".into(), FORMAT_VERSION.to_string());
    meta.insert("generator_config".into(), req.generator_config.to_string());
    if let Some((_, dc)) = req.discriminator {
        meta.insert("discriminator_config".into(), dc.to_string());
    }
    meta.insert(
        "info".into(),
        serde_json::to_string(req.info).expect("ModelInfo serializes"),
    );
    meta.insert(
        "param_ids".into(),
        serde_json::to_string(&ids).expect("ids serialize"),
    );
    safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), Some(meta))
        .expect("tensor shapes and byte lengths agree by construction")
}

/// Write a model atomically: to a temporary file beside `path`, then renamed over it, so a
/// crash mid-write never leaves a half-written model behind.
pub fn save(path: &Path, req: &SaveRequest<'_>) -> Result<(), WeightsError> {
    crate::files::write_atomic(path, &to_bytes(req)).map_err(|source| WeightsError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Save a loaded model (generator, its discriminator when it has one, its info) without
/// training state, e.g. after editing its info or to convert an imported file.
pub fn save_model_file(
    path: &Path,
    model: &ModelFile,
    precision: Precision,
) -> Result<(), WeightsError> {
    save(
        path,
        &SaveRequest {
            generator: &model.generator,
            generator_config: &model.generator_config,
            training_generator: model.training_generator.as_ref(),
            discriminator: model.discriminator.as_ref().map(|(d, c)| (d, c)),
            info: &model.info,
            extras: &BTreeMap::new(),
            precision,
        },
    )
}

/// Read a model file onto `device`: a pix2paint safetensors file, a PyTorch pix2pix
/// generator (`.pth`) or a pix2pix web demo model (`.pict`), told apart by their contents.
pub fn load(path: &Path, device: &Device) -> Result<ModelFile, WeightsError> {
    use crate::import::{self, FileKind};
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_owned(),
        source,
    })?;
    match import::sniff(&bytes[..bytes.len().min(16)]) {
        FileKind::Pytorch => from_imported(import::pth::read(path)?, path, device),
        FileKind::Pict => from_imported(import::pict::parse(&bytes, path)?, path, device),
        FileKind::Pix2paint => from_bytes(&bytes, path, device),
    }
}

/// Build a model from an importer's tensors (named by module path under the generator),
/// through the same checks as a pix2paint file.
pub fn from_imported(
    imported: crate::import::Imported,
    path: &Path,
    device: &Device,
) -> Result<ModelFile, WeightsError> {
    let tensors: Vec<(String, Raw)> = imported
        .tensors
        .into_iter()
        .map(|(name, shape, values)| {
            (
                format!("generator.{name}"),
                Raw {
                    dtype: Dtype::F32,
                    shape,
                    bytes: bytemuck::cast_slice(&values).to_vec(),
                },
            )
        })
        .collect();
    let mut meta = HashMap::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("format_version".into(), FORMAT_VERSION.to_string());
    meta.insert("generator_config".into(), imported.config.to_string());
    meta.insert(
        "info".into(),
        serde_json::to_string(&imported.info).expect("ModelInfo serializes"),
    );
    let bytes = safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), Some(meta))
        .map_err(|e| WeightsError::Architecture {
            path: path.to_owned(),
            detail: format!("a tensor's values do not fill its shape: {e}"),
        })?;
    from_bytes(&bytes, path, device)
}

/// Parse a model from bytes; `path` only names the source in errors.
pub fn from_bytes(bytes: &[u8], path: &Path, device: &Device) -> Result<ModelFile, WeightsError> {
    let not_weights = |reason: &str| WeightsError::NotWeights {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let truncated = |reason: String| WeightsError::Truncated {
        path: path.to_owned(),
        reason,
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| match e {
        SafeTensorError::MetadataIncompleteBuffer => {
            truncated("the tensor data is shorter than its header says".into())
        }
        SafeTensorError::InvalidHeaderLength if bytes.len() > 8 && looks_like_header(bytes) => {
            truncated("the header is cut off".into())
        }
        SafeTensorError::HeaderTooSmall => not_weights("it is shorter than any model file"),
        other => not_weights(&format!("no safetensors header: {other}")),
    })?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| not_weights(&e.to_string()))?;
    let meta = header
        .metadata()
        .clone()
        .ok_or_else(|| not_weights("a safetensors file without pix2paint metadata"))?;
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(not_weights(
            "a safetensors file written by another program (no format=pix2paint in its header)",
        ));
    }
    let version: u32 = meta
        .get("format_version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| not_weights("its format_version is missing"))?;
    if version > FORMAT_VERSION {
        return Err(WeightsError::NewerFormat {
            path: path.to_owned(),
            found: version,
        });
    }
    let arch = |detail: String| WeightsError::Architecture {
        path: path.to_owned(),
        detail,
    };
    let generator_config: GeneratorConfig = meta
        .get("generator_config")
        .ok_or_else(|| arch("no generator_config in the header".into()))
        .and_then(|s| {
            GeneratorConfig::load_binary(with_new_fields(s).as_bytes())
                .map_err(|e| arch(format!("unreadable generator_config: {e}")))
        })?;
    check_generator_config(&generator_config).map_err(arch)?;
    let info: ModelInfo = match meta.get("info") {
        Some(s) => serde_json::from_str(s).map_err(|e| arch(format!("unreadable info: {e}")))?,
        None => ModelInfo::named(
            path.file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned()),
        ),
    };
    let ids: HashMap<String, u64> = match meta.get("param_ids") {
        Some(s) => {
            serde_json::from_str(s).map_err(|e| arch(format!("unreadable param_ids: {e}")))?
        }
        None => HashMap::new(),
    };

    let tensors: HashMap<&str, TensorView<'_>> = st.iter().collect();
    let generator = fill(
        generator_config.init(device),
        "generator",
        &tensors,
        &ids,
        device,
    )
    .map_err(arch)?;
    let training_prefix = format!("{TRAINING_GENERATOR}.");
    let training_generator = if tensors.keys().any(|n| n.starts_with(&training_prefix)) {
        Some(
            fill(
                generator_config.init(device),
                TRAINING_GENERATOR,
                &tensors,
                &ids,
                device,
            )
            .map_err(arch)?,
        )
    } else {
        None
    };
    let discriminator = match meta.get("discriminator_config") {
        None => None,
        Some(s) => {
            let config = DiscriminatorConfig::load_binary(s.as_bytes())
                .map_err(|e| arch(format!("unreadable discriminator_config: {e}")))?;
            check_discriminator_config(&config).map_err(arch)?;
            let d =
                fill(config.init(device), "discriminator", &tensors, &ids, device).map_err(arch)?;
            Some((d, config))
        }
    };
    let extras = tensors
        .iter()
        .filter_map(|(name, view)| {
            name.strip_prefix("extra.")
                .map(|n| (n.to_owned(), view.data().to_vec()))
        })
        .collect();
    let expected = tensors
        .keys()
        .filter(|n| {
            n.starts_with("generator.")
                || n.starts_with("discriminator.")
                || n.starts_with(&training_prefix)
        })
        .count();
    let used = tensor_count(&generator)
        + training_generator.as_ref().map_or(0, tensor_count)
        + discriminator.as_ref().map_or(0, |(d, _)| tensor_count(d));
    if used != expected {
        return Err(arch(format!(
            "it holds {expected} network tensors but its configs describe {used}"
        )));
    }
    Ok(ModelFile {
        generator,
        generator_config,
        training_generator,
        discriminator,
        info,
        extras,
    })
}

/// Add the generator fields that files written before them lack, with the value that means
/// what those files meant (burn's `Config` wants every field present).
fn with_new_fields(config: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(config) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields
                .entry("hint_channels")
                .or_insert(serde_json::Value::from(0));
            serde_json::Value::Object(fields).to_string()
        }
        _ => config.to_owned(),
    }
}

/// A safetensors header starts with a little-endian length then `{`.
fn looks_like_header(bytes: &[u8]) -> bool {
    bytes.get(8) == Some(&b'{')
}

/// Refuse configs that would make absurd networks before allocating them.
pub(crate) fn check_generator_config(c: &GeneratorConfig) -> Result<(), String> {
    if c.ngf == 0 || c.ngf > 1024 || c.in_channels == 0 || c.out_channels == 0 {
        return Err(format!(
            "generator_config has impossible sizes (ngf {}, channels {}→{})",
            c.ngf, c.in_channels, c.out_channels
        ));
    }
    if c.in_channels > 64 || c.out_channels > 64 || !(0.0..1.0).contains(&c.dropout) {
        return Err("generator_config has impossible channel counts or dropout".into());
    }
    if ![1, 3].contains(&c.in_channels) || ![1, 3].contains(&c.out_channels) {
        return Err(format!(
            "the generator reads {} channels and writes {}; pix2paint paints sketches of 1 or 3 \
             channels into images of 1 or 3 (a Lab colorization model, for one, writes 2 and \
             cannot be shown)",
            c.in_channels, c.out_channels
        ));
    }
    if c.hint_channels != 0 && c.hint_channels != crate::hints::CHANNELS {
        return Err(format!(
            "generator_config has {} hint channels; colour hints take {} (RGB and a mask)",
            c.hint_channels,
            crate::hints::CHANNELS
        ));
    }
    if !(c.norm_epsilon.is_finite() && c.norm_epsilon > 0.0) {
        return Err(format!(
            "generator_config has a BatchNorm epsilon of {}; it must be above 0",
            c.norm_epsilon
        ));
    }
    Ok(())
}

fn check_discriminator_config(c: &DiscriminatorConfig) -> Result<(), String> {
    if c.ndf == 0 || c.ndf > 1024 || c.in_channels == 0 || c.in_channels > 128 || c.layers > 8 {
        return Err(format!(
            "discriminator_config has impossible sizes (ndf {}, layers {})",
            c.ndf, c.layers
        ));
    }
    Ok(())
}

/// Average models of one architecture weight by weight, e.g. the last snapshots of a training
/// run: the mean of a GAN's late iterates paints with fewer artefacts than any one of them
/// (checkpoint averaging, a coarse form of the generator EMA used in later GAN work). Running
/// statistics are averaged too. The result carries the last model's info, with the averaging
/// noted in its description.
pub fn average(mut models: Vec<ModelFile>, device: &Device) -> Result<ModelFile, String> {
    let n = models.len();
    let Some(first) = models.first() else {
        return Err("no models to average".into());
    };
    for (i, m) in models.iter().enumerate().skip(1) {
        if m.generator_config != first.generator_config {
            return Err(format!(
                "model {} has a different generator architecture from model 1",
                i + 1
            ));
        }
        let (a, b) = (first.discriminator.as_ref(), m.discriminator.as_ref());
        if a.map(|(_, c)| c) != b.map(|(_, c)| c) {
            return Err(format!(
                "model {} has a different discriminator (or none) from model 1",
                i + 1
            ));
        }
    }
    if n == 1 {
        return Ok(models.pop().expect("one model"));
    }
    let mut sums: HashMap<String, Vec<f64>> = HashMap::new();
    for m in &models {
        let tensors = collect(&m.generator, "generator").into_iter().chain(
            m.discriminator
                .iter()
                .flat_map(|(d, _)| collect(d, "discriminator")),
        );
        for (name, _, data) in tensors {
            let values = data
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| format!("tensor {name}: {e:?}"))?;
            let sum = sums.entry(name).or_insert_with(|| vec![0.0; values.len()]);
            for (s, v) in sum.iter_mut().zip(values) {
                *s += f64::from(v);
            }
        }
    }
    let steps: Vec<String> = models.iter().map(|m| m.info.steps.to_string()).collect();
    let mut last = models.pop().expect("at least one model");
    let mean = |module_prefix: &'static str| Averager {
        prefix: module_prefix,
        path: Vec::new(),
        sums: &sums,
        n: n as f64,
        device,
    };
    last.generator = last.generator.map(&mut mean("generator"));
    // An average paints; it is not a point a run continues from.
    last.training_generator = None;
    if let Some((d, c)) = last.discriminator.take() {
        last.discriminator = Some((d.map(&mut mean("discriminator")), c));
    }
    let note = format!(
        "Weights averaged over {n} models (steps {}).",
        steps.join(", ")
    );
    last.info.description = if last.info.description.is_empty() {
        note
    } else {
        format!("{} {note}", last.info.description)
    };
    Ok(last)
}

/// Replaces every tensor of a module by the mean that [`average`] summed up for its path.
struct Averager<'a> {
    prefix: &'static str,
    path: Vec<String>,
    sums: &'a HashMap<String, Vec<f64>>,
    n: f64,
    device: &'a Device,
}

impl ModuleMapper for Averager<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = format!("{}.{}", self.prefix, self.path.join("."));
        let sum = &self.sums[&name];
        let values: Vec<f32> = sum.iter().map(|s| (s / self.n) as f32).collect();
        let shape = param.lazy_shape().to_vec();
        let tensor = Tensor::<D>::from_data(TensorData::new(values, shape), self.device);
        let id = param.id;
        param.transform_for_load(tensor, id)
    }
}

/// Loads tensors onto a freshly built module by path, checking shapes.
struct Filler<'a, 'b> {
    prefix: &'static str,
    path: Vec<String>,
    tensors: &'a HashMap<&'b str, TensorView<'b>>,
    ids: &'a HashMap<String, u64>,
    device: &'a Device,
    error: Option<String>,
}

impl ModuleMapper for Filler<'_, '_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let name = format!("{}.{}", self.prefix, self.path.join("."));
        let expected = param.lazy_shape().to_vec();
        let Some(view) = self.tensors.get(name.as_str()) else {
            self.error = Some(format!("tensor {name} is missing"));
            return param;
        };
        if view.shape() != expected.as_slice() {
            self.error = Some(format!(
                "tensor {name} has shape {:?}, the config needs {:?}",
                view.shape(),
                expected
            ));
            return param;
        }
        let values = match decode_floats(view) {
            Ok(v) => v,
            Err(e) => {
                self.error = Some(format!("tensor {name}: {e}"));
                return param;
            }
        };
        // A NaN or infinite weight paints black or garbage without a word; refuse it here.
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            self.error = Some(format!(
                "tensor {name} holds {bad}: the model is damaged (a diverged training run \
                 writes such files); use an earlier snapshot"
            ));
            return param;
        }
        let tensor = Tensor::<D>::from_data(TensorData::new(values, expected), self.device);
        let id = self
            .ids
            .get(&name)
            .map(|&v| ParamId::from(v))
            .unwrap_or(param.id);
        param.transform_for_load(tensor, id)
    }
}

/// Decode a stored float tensor (F32, F16 or BF16) to f32, whatever its alignment.
pub(crate) fn decode_floats(view: &TensorView<'_>) -> Result<Vec<f32>, String> {
    let b = view.data();
    Ok(match view.dtype() {
        Dtype::F32 => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F16 => b
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => b
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => return Err(format!("stored as {other:?}, expected a float type")),
    })
}

fn fill<M: Module>(
    module: M,
    prefix: &'static str,
    tensors: &HashMap<&str, TensorView<'_>>,
    ids: &HashMap<String, u64>,
    device: &Device,
) -> Result<M, String> {
    let mut filler = Filler {
        prefix,
        path: Vec::new(),
        tensors,
        ids,
        device,
        error: None,
    };
    let module = module.map(&mut filler);
    match filler.error {
        Some(e) => Err(e),
        None => Ok(module),
    }
}

/// Float tensors a module holds (what a file must store for it).
pub(crate) fn tensor_count<M: Module>(module: &M) -> usize {
    struct Count(usize);
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, _: &Param<Tensor<D>>) {
            self.0 += 1;
        }
    }
    let mut c = Count(0);
    module.visit(&mut c);
    c.0
}

/// File name of the default model in [`default_model_dir`].
pub const DEFAULT_MODEL_FILE: &str = "pix2paint-cats.safetensors";

/// Where the default model lives: `weights/` of the source tree this binary was built from.
pub fn default_model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights")
}

/// The default model to load, if one is installed: `$PIX2PAINT_WEIGHTS`, then `weights/`
/// beside the executable, then the source tree's `weights/`.
pub fn default_model_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PIX2PAINT_WEIGHTS") {
        return Some(PathBuf::from(p));
    }
    let beside_exe = std::env::current_exe().ok().and_then(|e| {
        e.parent()
            .map(|d| d.join("weights").join(DEFAULT_MODEL_FILE))
    });
    [
        beside_exe,
        Some(default_model_dir().join(DEFAULT_MODEL_FILE)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

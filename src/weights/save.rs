//! Writing a weights file: every float parameter under its module path, the configs and
//! the info in the header, atomically.

use super::*;
use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData};
use safetensors::Dtype;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Collects float parameters with their module paths.
pub(super) struct Collector {
    prefix: &'static str,
    path: super::module_path::ModulePath,
    out: Vec<(String, ParamId, TensorData)>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let name = self.path.name(self.prefix);
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
        path: Default::default(),
        out: Vec::new(),
    };
    module.visit(&mut c);
    c.out
}

/// An owned tensor in safetensors form.
pub(super) struct Raw {
    pub(super) dtype: Dtype,
    pub(super) shape: Vec<usize>,
    pub(super) bytes: Vec<u8>,
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

pub(super) fn to_raw(data: TensorData, precision: Precision) -> Raw {
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

/// Copy the model in `src` (any kind [`super::load`] reads) into a pix2paint file at `dest`,
/// without training state, its description changed by `edit` (e.g. the model window's edits,
/// or a snapshot's step count).
pub fn copy_model(
    src: &Path,
    dest: &Path,
    precision: Precision,
    edit: impl FnOnce(&mut ModelInfo),
) -> Result<(), WeightsError> {
    let mut model = super::load(src, &burn::tensor::Device::flex())?;
    edit(&mut model.info);
    save_model_file(dest, &model, precision)
}

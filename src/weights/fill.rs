//! Filling a freshly built network's parameters by module path, from a file's tensors (or any
//! source of values): each name and shape checked, every value finite, the parameter ids the
//! file recorded kept.

use super::Mismatch;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, tensor::TensorView};
use std::collections::HashMap;

/// Fills a module's parameters: each tensor's values come from `values(name, shape the module
/// needs)`.
struct Filler<'a, F> {
    prefix: &'a str,
    path: super::module_path::ModulePath,
    ids: &'a HashMap<String, u64>,
    device: &'a Device,
    values: F,
    error: Option<Mismatch>,
}

impl<F: Fn(&str, &[usize]) -> Result<Vec<f32>, Mismatch>> ModuleMapper for Filler<'_, F> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let name = self.path.name(self.prefix);
        let expected = param.lazy_shape().to_vec();
        let values = match (self.values)(&name, &expected) {
            Ok(v) => v,
            Err(e) => {
                self.error = Some(e);
                return param;
            }
        };
        // A NaN or infinite weight paints black or garbage without a word; refuse it here.
        if let Some(&value) = values.iter().find(|v| !v.is_finite()) {
            self.error = Some(Mismatch::NotFinite { name, value });
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

/// `module` with every parameter filled from `values(name, shape)` (names `prefix.path`, or the
/// bare path with an empty prefix; ids from `ids` where recorded, else kept), or the first
/// problem found.
pub(super) fn fill<M: Module>(
    module: M,
    prefix: &str,
    ids: &HashMap<String, u64>,
    device: &Device,
    values: impl Fn(&str, &[usize]) -> Result<Vec<f32>, Mismatch>,
) -> Result<M, Mismatch> {
    let mut filler = Filler {
        prefix,
        path: Default::default(),
        ids,
        device,
        values,
        error: None,
    };
    let module = module.map(&mut filler);
    match filler.error {
        Some(e) => Err(e),
        None => Ok(module),
    }
}

/// The values of the safetensors tensor `name`, which must have `shape`.
pub(super) fn stored_floats(
    tensors: &HashMap<&str, TensorView<'_>>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, Mismatch> {
    let view = tensors
        .get(name)
        .ok_or_else(|| Mismatch::Missing(name.to_owned()))?;
    if view.shape() != shape {
        return Err(Mismatch::Shape {
            name: name.to_owned(),
            found: view.shape().to_vec(),
            needed: shape.to_vec(),
        });
    }
    decode_floats(view).ok_or_else(|| Mismatch::NotFloat {
        name: name.to_owned(),
        dtype: format!("{:?}", view.dtype()),
    })
}

/// The float encodings model files store tensors in (little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatKind {
    /// IEEE half.
    F16,
    /// bfloat16.
    Bf16,
    /// IEEE single.
    F32,
    /// IEEE double.
    F64,
}

/// Decode little-endian floats of `kind` to f32, whatever the bytes' alignment.
pub(crate) fn decode(kind: FloatKind, b: &[u8]) -> Vec<f32> {
    match kind {
        FloatKind::F16 => b
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        FloatKind::Bf16 => b
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        FloatKind::F32 => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        FloatKind::F64 => b
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
    }
}

/// Decode a stored safetensors float tensor (F32, F16 or BF16); `None` for other types.
fn decode_floats(view: &TensorView<'_>) -> Option<Vec<f32>> {
    let kind = match view.dtype() {
        Dtype::F32 => FloatKind::F32,
        Dtype::F16 => FloatKind::F16,
        Dtype::BF16 => FloatKind::Bf16,
        _ => return None,
    };
    Some(decode(kind, view.data()))
}

//! Reading a weights file: configs first, then networks built from them and filled
//! parameter by parameter, each name and shape checked.

use super::fill::{fill, stored_floats};
use super::*;
use crate::model::{DiscriminatorConfig, GeneratorConfig};
use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use safetensors::{SafeTensorError, SafeTensors, tensor::TensorView};
use std::collections::HashMap;
use std::path::Path;

/// Read a model file onto `device`: a pix2paint safetensors file, a PyTorch pix2pix
/// generator (`.pth`) or a pix2pix web demo model (`.pict`), told apart by their contents.
pub fn load(path: &Path, device: &Device) -> Result<ModelFile, WeightsError> {
    use super::import::{self, FileKind};
    use std::io::Read;
    let io = |source| WeightsError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(WeightsError::NotWeights {
            path: path.to_owned(),
            reason: format!(
                "{} GB, larger than any model ({} GB at most)",
                len >> 30,
                MAX_FILE_BYTES >> 30
            ),
        });
    }
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(io)?;
    let kind = import::sniff(&head);
    if kind == FileKind::Pytorch {
        return from_imported(import::pth::read(path)?, path, device);
    }
    if kind == FileKind::Pix2paint {
        // Refuse a file that is not ours from its header, before reading the whole of it.
        check_header(&mut file, &mut head, len, path)?;
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(io)?;
    match kind {
        FileKind::Pict => from_imported(import::pict::parse(&bytes, path)?, path, device),
        _ => from_bytes(&bytes, path, device),
    }
}

/// No model pix2paint reads is larger (a width-64 checkpoint with both optimizers is ~1.3 GB).
const MAX_FILE_BYTES: u64 = 16 << 30;
/// The safetensors crate's own limit on a header.
const MAX_HEADER_BYTES: u64 = 100 << 20;

/// From the 8-byte length and the JSON header that follows it (read here, after `head`):
/// whether this is a pix2paint safetensors file at all. Leaves `file` after the header, and
/// appends what it read to `head`.
fn check_header(
    file: &mut std::fs::File,
    head: &mut Vec<u8>,
    len: u64,
    path: &Path,
) -> Result<(), WeightsError> {
    use std::io::Read;
    let not_weights = |reason: &str| WeightsError::NotWeights {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(size) = head.get(..8) else {
        return Err(not_weights("it is shorter than any model file"));
    };
    let header_len = u64::from_le_bytes(size.try_into().expect("8 bytes"));
    if header_len > MAX_HEADER_BYTES {
        return Err(not_weights("no safetensors header at its start"));
    }
    if header_len > len.saturating_sub(8) {
        return Err(WeightsError::Truncated {
            path: path.to_owned(),
            reason: "the header is cut off".into(),
        });
    }
    let wanted = 8 + header_len as usize;
    if head.len() < wanted {
        let more = (wanted - head.len()) as u64;
        file.take(more)
            .read_to_end(head)
            .map_err(|source| WeightsError::Io {
                path: path.to_owned(),
                source,
            })?;
    }
    let header: serde_json::Value = serde_json::from_slice(&head[8..wanted])
        .map_err(|e| not_weights(&format!("no safetensors header: {e}")))?;
    let Some(metadata) = header.get("__metadata__") else {
        return Err(not_weights("a safetensors file without pix2paint metadata"));
    };
    check_format(metadata.get("format").and_then(|f| f.as_str()), path)
}

/// Why a safetensors file without pix2paint's `format` entry is refused.
const FOREIGN: &str =
    "a safetensors file written by another program (no format=pix2paint in its header)";

/// Refuse a safetensors header whose `format` entry does not say pix2paint wrote it.
fn check_format(format: Option<&str>, path: &Path) -> Result<(), WeightsError> {
    if format == Some(FORMAT) {
        return Ok(());
    }
    Err(WeightsError::NotWeights {
        path: path.to_owned(),
        reason: FOREIGN.into(),
    })
}

/// Build a model from an importer's tensors (named by module path under the generator),
/// through the same checks as a pix2paint file: the config's bounds, the weights it declares
/// against those held, each tensor's name and shape, finite values, nothing left over.
pub fn from_imported(
    imported: super::import::Imported,
    path: &Path,
    device: &Device,
) -> Result<ModelFile, WeightsError> {
    let arch = |detail: Mismatch| WeightsError::Architecture {
        path: path.to_owned(),
        detail,
    };
    let config = imported.config;
    check_generator_config(&config).map_err(arch)?;
    let mut held = 0u64;
    let mut tensors: HashMap<String, (Vec<usize>, Vec<f32>)> = HashMap::new();
    for (name, shape, values) in imported.tensors {
        if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(values.len()) {
            return Err(arch(Mismatch::Values {
                name,
                values: values.len(),
                shape,
            }));
        }
        held = held.saturating_add(values.len() as u64);
        tensors.insert(name, (shape, values));
    }
    check_holds(config.conv_weights(), held).map_err(arch)?;
    let generator = fill(
        config.init(device),
        "",
        &HashMap::new(),
        device,
        |name, expected| match tensors.get(name) {
            None => Err(Mismatch::Missing(name.to_owned())),
            Some((shape, _)) if shape != expected => Err(Mismatch::Shape {
                name: name.to_owned(),
                found: shape.clone(),
                needed: expected.to_vec(),
            }),
            Some((_, values)) => Ok(values.clone()),
        },
    )
    .map_err(arch)?;
    let used = tensor_count(&generator);
    if used != tensors.len() {
        return Err(arch(Mismatch::TensorCount {
            held: tensors.len(),
            described: used,
        }));
    }
    Ok(ModelFile {
        generator,
        generator_config: config,
        training_generator: None,
        discriminator: None,
        info: imported.info,
        extras: Default::default(),
    })
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
    check_format(meta.get("format").map(String::as_str), path)?;
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
    let arch = |detail: Mismatch| WeightsError::Architecture {
        path: path.to_owned(),
        detail,
    };
    let unreadable = |entry: &'static str| {
        move |e: &dyn std::fmt::Display| {
            arch(Mismatch::Unreadable {
                entry,
                reason: e.to_string(),
            })
        }
    };
    let generator_config: GeneratorConfig = meta
        .get("generator_config")
        .ok_or_else(|| arch(Mismatch::NoConfig))
        .and_then(|s| {
            GeneratorConfig::load_binary(with_new_fields(s, &[("hint_channels", 0)]).as_bytes())
                .map_err(|e| unreadable("generator_config")(&e))
        })?;
    check_generator_config(&generator_config).map_err(arch)?;
    let info: ModelInfo = match meta.get("info") {
        Some(s) => serde_json::from_str(s).map_err(|e| unreadable("info")(&e))?,
        None => ModelInfo::named(
            path.file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned()),
        ),
    };
    let ids: HashMap<String, u64> = match meta.get("param_ids") {
        Some(s) => serde_json::from_str(s).map_err(|e| unreadable("param_ids")(&e))?,
        None => HashMap::new(),
    };

    let tensors: HashMap<&str, TensorView<'_>> = st.iter().collect();
    let training_prefix = format!("{TRAINING_GENERATOR}.");
    let has_training_generator = tensors.keys().any(|n| n.starts_with(&training_prefix));
    let discriminator_config = match meta.get("discriminator_config") {
        None => None,
        Some(s) => {
            let config =
                DiscriminatorConfig::load_binary(with_new_fields(s, &[("scales", 1)]).as_bytes())
                    .map_err(|e| unreadable("discriminator_config")(&e))?;
            check_discriminator_config(&config).map_err(arch)?;
            Some(config)
        }
    };
    // Every tensor's shape was checked against the bytes it spans when the file was parsed.
    let held: u64 = tensors
        .values()
        .map(|v| v.shape().iter().product::<usize>() as u64)
        .sum();
    let generators = if has_training_generator { 2 } else { 1 };
    let declared = generators * generator_config.conv_weights()
        + discriminator_config
            .as_ref()
            .map_or(0, |c| c.conv_weights());
    check_holds(declared, held).map_err(arch)?;
    let stored = |name: &str, expected: &[usize]| stored_floats(&tensors, name, expected);
    let generator = fill(
        generator_config.init(device),
        "generator",
        &ids,
        device,
        stored,
    )
    .map_err(arch)?;
    let training_generator = if has_training_generator {
        Some(
            fill(
                generator_config.init(device),
                TRAINING_GENERATOR,
                &ids,
                device,
                stored,
            )
            .map_err(arch)?,
        )
    } else {
        None
    };
    let discriminator = match discriminator_config {
        None => None,
        Some(config) => {
            let d =
                fill(config.init(device), "discriminator", &ids, device, stored).map_err(arch)?;
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
        return Err(arch(Mismatch::TensorCount {
            held: expected,
            described: used,
        }));
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

/// Add the fields that files written before them lack, with the value that means what those
/// files meant (burn's `Config` wants every field present): `hint_channels` 0 for generators,
/// `scales` 1 for discriminators.
pub(super) fn with_new_fields(config: &str, new: &[(&str, u64)]) -> String {
    match serde_json::from_str::<serde_json::Value>(config) {
        Ok(serde_json::Value::Object(mut fields)) => {
            for (name, value) in new {
                fields
                    .entry(*name)
                    .or_insert(serde_json::Value::from(*value));
            }
            serde_json::Value::Object(fields).to_string()
        }
        _ => config.to_owned(),
    }
}

/// A safetensors header starts with a little-endian length then `{`.
pub(super) fn looks_like_header(bytes: &[u8]) -> bool {
    bytes.get(8) == Some(&b'{')
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

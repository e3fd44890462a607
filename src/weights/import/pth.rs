//! PyTorch pix2pix (junyanz/pytorch-CycleGAN-and-pix2pix) `unet_256` generators: read a
//! `latest_net_G.pth` state dict, and write one from a pix2paint model.
//!
//! Their `UnetGenerator` nests one `UnetSkipConnectionBlock` per level inside the next, each
//! an `nn.Sequential` named `model`, so the state-dict keys spell the nesting:
//! - outermost, prefix `model.model.`: `0` down-conv, `1` the next level, `3` up-conv (+ bias);
//! - middle levels, prefix `<outer>1.model.` then `<outer>3.model.`: `1` down-conv,
//!   `2` down-norm, `3` the next level, `5` up-conv, `6` up-norm;
//! - innermost: `1` down-conv, `3` up-conv, `4` up-norm.
//!
//! With batch norm only the output convolution has a bias. The file is read with
//! `pytorch-reader` (Burn's PyTorch checkpoint reader; both the ZIP container of PyTorch ≥ 1.6
//! and the older pickle stream).

use super::Imported;
use crate::model::{
    BiasStyle, DEPTH, Discriminator, DiscriminatorConfig, Generator, GeneratorConfig, NormStats,
};
use crate::weights::{Direction, Mismatch, ModelInfo, WeightsError};
use pytorch_reader::{DType, PytorchReader};
use std::collections::HashMap;
use std::path::Path;

/// State-dict prefix of U-Net level `level` (0 = outermost).
fn level_prefix(level: usize) -> String {
    let mut p = String::from("model.model.");
    for l in 1..=level {
        p.push_str(if l == 1 { "1.model." } else { "3.model." });
    }
    p
}

/// `(their key, our module path)` for every tensor of a junyanz `unet_256` with batch norm.
fn key_map() -> Vec<(String, String)> {
    let mut map = Vec::new();
    for level in 0..DEPTH {
        let p = level_prefix(level);
        let up = DEPTH - 1 - level;
        if level == 0 {
            map.push((format!("{p}0.weight"), "down.0.conv.weight".into()));
            map.push((format!("{p}3.weight"), format!("up.{up}.conv.weight")));
            map.push((format!("{p}3.bias"), format!("up.{up}.conv.bias")));
        } else if level == DEPTH - 1 {
            map.push((format!("{p}1.weight"), format!("down.{level}.conv.weight")));
            map.push((format!("{p}3.weight"), format!("up.{up}.conv.weight")));
            norm_keys(&mut map, &format!("{p}4"), &format!("up.{up}.norm"));
        } else {
            map.push((format!("{p}1.weight"), format!("down.{level}.conv.weight")));
            norm_keys(&mut map, &format!("{p}2"), &format!("down.{level}.norm"));
            map.push((format!("{p}5.weight"), format!("up.{up}.conv.weight")));
            norm_keys(&mut map, &format!("{p}6"), &format!("up.{up}.norm"));
        }
    }
    map
}

/// A batch norm's four tensors: PyTorch's names under `theirs`, Burn's under `ours`.
fn norm_keys(map: &mut Vec<(String, String)>, theirs: &str, ours: &str) {
    for (t, o) in [
        ("weight", "gamma"),
        ("bias", "beta"),
        ("running_mean", "running_mean"),
        ("running_var", "running_var"),
    ] {
        map.push((format!("{theirs}.{t}"), format!("{ours}.{o}")));
    }
}

/// `(their key, our module path)` for a junyanz `NLayerDiscriminator` (`--netD basic`, batch
/// norm) with `layers` strided layers: one `nn.Sequential` `model` of conv + LeakyReLU, then
/// per block conv, norm, LeakyReLU, then the output conv, so block `i ≥ 1` sits at `3i - 1`
/// and `3i`, the output at `3 (layers + 1) - 1`.
fn discriminator_key_map(layers: usize) -> Vec<(String, String)> {
    let mut map = vec![
        ("model.0.weight".into(), "blocks.0.conv.weight".into()),
        ("model.0.bias".into(), "blocks.0.conv.bias".into()),
    ];
    for i in 1..=layers {
        map.push((
            format!("model.{}.weight", 3 * i - 1),
            format!("blocks.{i}.conv.weight"),
        ));
        norm_keys(
            &mut map,
            &format!("model.{}", 3 * i),
            &format!("blocks.{i}.norm"),
        );
    }
    let out = 3 * (layers + 1) - 1;
    map.push((format!("model.{out}.weight"), "out.weight".into()));
    map.push((format!("model.{out}.bias"), "out.bias".into()));
    map
}

/// Decode a PyTorch float tensor's bytes; `None` for other types.
fn floats(dtype: DType, bytes: &[u8]) -> Option<Vec<f32>> {
    use crate::weights::fill::{FloatKind, decode};
    let kind = match dtype {
        DType::F32 => FloatKind::F32,
        DType::F64 => FloatKind::F64,
        DType::F16 => FloatKind::F16,
        DType::BF16 => FloatKind::Bf16,
        _ => return None,
    };
    Some(decode(kind, bytes))
}

/// Whether a tensor is the weight of a decoder convolution whose input is a concatenation.
/// PyTorch pix2pix concatenates `[skip, decoder]`, pix2paint (like TensorFlow pix2pix)
/// `[decoder, skip]`, so the two halves of its input channels (dim 0) trade places.
fn concatenated_input(ours: &str) -> bool {
    ours.strip_prefix("up.")
        .and_then(|r| r.strip_suffix(".conv.weight"))
        .and_then(|j| j.parse::<usize>().ok())
        .is_some_and(|j| j > 0)
}

/// Swap the two halves of dim 0 (an involution: the same call converts both ways).
fn swap_input_halves(shape: &[usize], values: &mut [f32]) {
    let per_channel: usize = shape[1..].iter().product();
    let half = shape[0] / 2 * per_channel;
    let (a, b) = values.split_at_mut(half);
    a.swap_with_slice(&mut b[..half]);
}

/// Read a junyanz pix2pix generator state dict.
pub fn read(path: &Path) -> Result<Imported, WeightsError> {
    let unsupported = |detail: String| WeightsError::Unsupported {
        path: path.to_owned(),
        detail,
    };
    let reader = PytorchReader::new(path).map_err(|e| {
        let text = e.to_string();
        if text.contains("EOF") || text.contains("eof") || text.contains("truncat") {
            WeightsError::Truncated {
                path: path.to_owned(),
                reason: format!("the PyTorch file is incomplete ({text})"),
            }
        } else {
            WeightsError::NotWeights {
                path: path.to_owned(),
                reason: format!("not a readable PyTorch checkpoint: {text}"),
            }
        }
    })?;
    // Checkpoints saved from nn.DataParallel, or as {"state_dict": …}, carry a prefix.
    let mut tensors: HashMap<String, pytorch_reader::Tensor> = HashMap::new();
    for (k, t) in reader.into_tensors() {
        let mut key = k.as_str();
        for prefix in ["state_dict.", "module."] {
            key = key.strip_prefix(prefix).unwrap_or(key);
        }
        tensors.insert(key.to_owned(), t);
    }
    if tensors.is_empty() {
        return Err(WeightsError::NotWeights {
            path: path.to_owned(),
            reason: "the PyTorch file holds no tensors".into(),
        });
    }
    if tensors.keys().any(|k| k.contains("conv_block")) {
        return Err(unsupported(
            "it is a ResNet generator (resnet_9blocks / resnet_6blocks, as CycleGAN uses); \
             only U-Net generators (unet_256) are supported yet"
                .into(),
        ));
    }
    if !tensors.contains_key("model.model.0.weight") {
        let mut some: Vec<&String> = tensors.keys().collect();
        some.sort();
        some.truncate(4);
        return Err(unsupported(format!(
            "no pix2pix U-Net generator keys (model.model.0.weight); its tensors start {some:?}. \
             Is this a discriminator (latest_net_D.pth)? Open the generator, latest_net_G.pth"
        )));
    }
    // Levels: count the nested blocks.
    let levels = (1..16)
        .take_while(|&l| {
            let p = level_prefix(l);
            tensors.keys().any(|k| k.starts_with(&p))
        })
        .count()
        + 1;
    if levels != DEPTH {
        return Err(unsupported(format!(
            "it is a U-Net with {levels} levels (unet_{}); only unet_256 (8 levels) is \
             supported yet",
            1usize << levels.min(20)
        )));
    }
    if !tensors.contains_key(&format!("{}2.running_mean", level_prefix(1))) {
        let norm = if tensors.contains_key(&format!("{}1.bias", level_prefix(1))) {
            "instance norm (--norm instance)"
        } else {
            "no batch norm"
        };
        return Err(unsupported(format!(
            "its U-Net uses {norm}; only batch norm (--norm batch, pix2pix's default) is \
             supported yet"
        )));
    }

    let mut out = Vec::new();
    for (theirs, ours) in key_map() {
        let t = tensors
            .get(&theirs)
            .ok_or_else(|| WeightsError::Architecture {
                path: path.to_owned(),
                detail: Mismatch::Missing(theirs.clone()),
            })?;
        let bytes = t.read().map_err(|e| WeightsError::Truncated {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let mut values = floats(t.dtype(), &bytes).ok_or_else(|| WeightsError::Architecture {
            path: path.to_owned(),
            detail: Mismatch::NotFloat {
                name: theirs.clone(),
                dtype: format!("{:?}", t.dtype()),
            },
        })?;
        let shape = t.shape().to_vec();
        if concatenated_input(&ours) {
            if shape.len() != 4 || shape[0] % 2 != 0 {
                return Err(WeightsError::Architecture {
                    path: path.to_owned(),
                    detail: Mismatch::OddShape {
                        name: theirs.clone(),
                        shape: shape.clone(),
                    },
                });
            }
            swap_input_halves(&shape, &mut values);
        }
        out.push((ours, shape, values));
    }
    let first = &out[0].1; // [ngf, in, 4, 4]
    let last = &out
        .iter()
        .find(|(n, ..)| n == &format!("up.{}.conv.weight", DEPTH - 1))
        .expect("in the key map")
        .1; // [2 ngf, out, 4, 4]
    if first.len() != 4 || last.len() != 4 {
        return Err(WeightsError::Architecture {
            path: path.to_owned(),
            detail: Mismatch::OuterConvolutions,
        });
    }
    // A model pix2paint exported with colour hints reads the sketch and then the hint layer.
    let hints = if first[1] == 3 + crate::hints::CHANNELS {
        crate::hints::CHANNELS
    } else {
        0
    };
    let config = GeneratorConfig::pytorch_unet()
        .with_ngf(first[0])
        .with_in_channels(first[1] - hints)
        .with_hint_channels(hints)
        .with_out_channels(last[1]);
    let mut info = ModelInfo::named(
        path.file_stem()
            .map_or("PyTorch model".into(), |s| s.to_string_lossy().into_owned()),
    );
    info.description = format!(
        "PyTorch pix2pix unet_256 (ngf {}, batch norm), imported from {}",
        config.ngf,
        path.display()
    );
    // pix2pix's test.py keeps the network in training mode unless --eval is given: batch
    // norm on the test image's own statistics.
    info.inference_stats = NormStats::Batch;
    info.direction = Direction::AtoB;
    Ok(Imported {
        tensors: out,
        config,
        info,
    })
}

/// Why a generator could not be written as a PyTorch state dict.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// TensorFlow pix2pix's layout.
    #[error(
        "this model has biases before its batch norms or a batch norm on the innermost encoder \
         block (TensorFlow pix2pix's layout, e.g. an imported .pict), which PyTorch pix2pix's \
         unet_256 has no place for; export it as safetensors instead"
    )]
    Layout,
    /// A network without a parameter its PyTorch twin has.
    #[error("the model has no {0}")]
    Missing(String),
    /// The ZIP container could not be written.
    #[error("writing the archive: {0}")]
    Archive(#[from] zip::result::ZipError),
}

/// Why a generator cannot be written as a junyanz `unet_256`, if it cannot.
pub fn exportable(config: &GeneratorConfig) -> Result<(), ExportError> {
    if config.bias != BiasStyle::OutputOnly || config.innermost_encoder_norm {
        return Err(ExportError::Layout);
    }
    Ok(())
}

/// Serialise a generator as a junyanz `unet_256` state dict (`torch.save` ZIP container).
pub fn to_bytes(generator: &Generator, config: &GeneratorConfig) -> Result<Vec<u8>, ExportError> {
    generator_bytes(generator, config, false)
}

/// [`to_bytes`] for junyanz's `train.py`, whose datasets give the sketch alone: a model with
/// colour hints loses its hint inputs' weights (exact for a hint-free input, which is zeros
/// there), so the file reads `config.in_channels` channels.
pub fn to_bytes_without_hints(
    generator: &Generator,
    config: &GeneratorConfig,
) -> Result<Vec<u8>, ExportError> {
    generator_bytes(generator, config, true)
}

fn generator_bytes(
    generator: &Generator,
    config: &GeneratorConfig,
    drop_hints: bool,
) -> Result<Vec<u8>, ExportError> {
    exportable(config)?;
    generator.sync_running_stats();
    let keep = config.in_channels;
    let entries = state_dict(generator, "g", key_map(), |path, shape, values| {
        if concatenated_input(path) {
            swap_input_halves(shape, values);
        }
        if drop_hints && path == "down.0.conv.weight" && shape[1] > keep {
            // [out, in, kh, kw] → [out, keep, kh, kw]: the sketch's channels come first.
            let per_in: usize = shape[2..].iter().product();
            let row = shape[1] * per_in;
            *values = values
                .chunks(row)
                .flat_map(|r| r[..keep * per_in].iter().copied())
                .collect();
            shape[1] = keep;
        }
    })?;
    super::torch_save::write(&entries)
}

/// Serialise a PatchGAN as a junyanz `NLayerDiscriminator` state dict (`--netD basic
/// --n_layers_D config.layers --ndf config.ndf --norm batch`), for `train.py --continue_train`.
pub fn discriminator_to_bytes(
    d: &Discriminator,
    config: &DiscriminatorConfig,
) -> Result<Vec<u8>, ExportError> {
    d.sync_running_stats();
    let entries = state_dict(d, "d", discriminator_key_map(config.layers), |_, _, _| {})?;
    super::torch_save::write(&entries)
}

/// A state dict in `map`'s order from `module`'s tensors (named `prefix.PATH`), each passed
/// through `adjust(path, shape, values)`; a `num_batches_tracked` follows each batch norm, as
/// PyTorch's strict loading wants.
fn state_dict<M: burn::module::Module>(
    module: &M,
    prefix: &'static str,
    map: Vec<(String, String)>,
    adjust: impl Fn(&str, &mut Vec<usize>, &mut Vec<f32>),
) -> Result<Vec<super::torch_save::Entry>, ExportError> {
    let mut ours: HashMap<String, (Vec<usize>, Vec<f32>)> = crate::weights::collect(module, prefix)
        .into_iter()
        .map(|(name, _, data)| {
            let shape = data.shape().to_vec();
            let values = data
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("f32 after convert");
            (name[prefix.len() + 1..].to_owned(), (shape, values))
        })
        .collect();
    let mut entries = Vec::new();
    for (theirs, path) in map {
        let (mut shape, mut values) = ours
            .remove(&path)
            .ok_or_else(|| ExportError::Missing(path.clone()))?;
        adjust(&path, &mut shape, &mut values);
        let norm = theirs.strip_suffix(".running_var").map(str::to_owned);
        entries.push((theirs, shape, values));
        if let Some(norm) = norm {
            entries.push((format!("{norm}.num_batches_tracked"), vec![], vec![]));
        }
    }
    Ok(entries)
}

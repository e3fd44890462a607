//! The 2017 pix2pix web demo's model files (`edges2cats_AtoB.pict` …), written by
//! affinelayer/pix2pix-tensorflow's `server/tools/export-checkpoint.py`.
//!
//! Three blocks, each a big-endian `u32` byte length then the bytes:
//! 1. a JSON list of the generator's variables, `{"name": …, "shape": […]}`, in sorted name
//!    order;
//! 2. a codebook of 256 little-endian `f32` values (μ-law spaced);
//! 3. one byte per weight, all variables concatenated in the list's order, each byte
//!    indexing the codebook.
//!
//! Variables are `generator/encoder_N/…` and `generator/decoder_N/…` (N = 1 outermost … 8),
//! with the names of either pix2pix-tensorflow generation: `conv/filter`, `deconv/filter`,
//! `batchnorm/{scale,offset}` (no biases), or `conv2d/{kernel,bias}`,
//! `conv2d_transpose/{kernel,bias}`, `batch_normalization/{gamma,beta}`. There are no moving
//! statistics: the demo normalised each batch norm with the current image's own statistics
//! and ran no dropout, which is how pix2paint runs these models.

use super::{Imported, tf_kernel_to_burn};
use crate::model::{BiasStyle, DEPTH, GeneratorConfig, NormStats};
use crate::weights::{Direction, Mismatch, ModelInfo, WeightsError};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Variable {
    name: String,
    shape: Vec<usize>,
}

/// Split the three length-prefixed blocks of the file at `path`.
fn blocks<'a>(bytes: &'a [u8], path: &Path) -> Result<[&'a [u8]; 3], WeightsError> {
    let truncated = |reason: String| WeightsError::Truncated {
        path: path.to_owned(),
        reason,
    };
    let mut rest = bytes;
    let mut out: [&[u8]; 3] = [&[]; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        if rest.len() < 4 {
            return Err(truncated(format!("it ends before block {} of 3", i + 1)));
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        rest = &rest[4..];
        if rest.len() < n {
            return Err(truncated(format!(
                "block {} of 3 says {n} bytes but only {} remain",
                i + 1,
                rest.len()
            )));
        }
        *slot = &rest[..n];
        rest = &rest[n..];
    }
    Ok(out)
}

/// What one variable fills: our module path, and whether its value is a TF kernel.
fn target(name: &str) -> Option<(String, bool)> {
    let name = name.strip_suffix(":0").unwrap_or(name);
    let rest = name.strip_prefix("generator/")?;
    let (block, rest) = rest.split_once('/')?;
    let (kind, n) = if let Some(n) = block.strip_prefix("encoder_") {
        ("down", n)
    } else if let Some(n) = block.strip_prefix("decoder_") {
        ("up", n)
    } else {
        return None;
    };
    let n: usize = n.parse().ok()?;
    if !(1..=DEPTH).contains(&n) {
        return None;
    }
    // encoder_N is our down[N-1]; decoder_N is our up[8-N] (decoder_8 is the innermost).
    let index = if kind == "down" { n - 1 } else { DEPTH - n };
    let (layer, var) = rest.split_once('/')?;
    let (part, is_kernel) = match (layer, var) {
        ("conv" | "conv2d" | "deconv" | "conv2d_transpose", "filter" | "kernel") => {
            ("conv.weight", true)
        }
        ("conv" | "conv2d" | "deconv" | "conv2d_transpose", "bias") => ("conv.bias", false),
        ("batchnorm" | "batch_normalization", "scale" | "gamma") => ("norm.gamma", false),
        ("batchnorm" | "batch_normalization", "offset" | "beta") => ("norm.beta", false),
        _ => return None,
    };
    Some((format!("{kind}.{index}.{part}"), is_kernel))
}

/// Read a `.pict` file's bytes.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Imported, WeightsError> {
    let bad = |reason: String| WeightsError::NotWeights {
        path: path.to_owned(),
        reason,
    };
    let truncated = |reason: String| WeightsError::Truncated {
        path: path.to_owned(),
        reason,
    };
    let [index, codebook, weights] = blocks(bytes, path)?;
    let vars: Vec<Variable> = serde_json::from_slice(index)
        .map_err(|e| bad(format!("its first block is not the variable list: {e}")))?;
    if codebook.len() != 256 * 4 {
        return Err(bad(format!(
            "its codebook has {} bytes, not 256 floats",
            codebook.len()
        )));
    }
    let codebook: Vec<f32> = codebook
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // Checked: a few bytes of header can declare shapes whose product wraps around.
    let sizes: Option<Vec<usize>> = vars
        .iter()
        .map(|v| v.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)))
        .collect();
    let total = sizes
        .as_ref()
        .and_then(|s| s.iter().try_fold(0usize, |a, &n| a.checked_add(n)))
        .ok_or_else(|| WeightsError::Architecture {
            path: path.to_owned(),
            detail: Mismatch::Overflow,
        })?;
    if total != weights.len() {
        return Err(truncated(format!(
            "its variables need {total} weights but it holds {}",
            weights.len()
        )));
    }

    let mut tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)> = BTreeMap::new();
    let mut offset = 0;
    for v in &vars {
        let n: usize = v.shape.iter().product();
        let values: Vec<f32> = weights[offset..offset + n]
            .iter()
            .map(|&b| codebook[b as usize])
            .collect();
        offset += n;
        let (path_ours, is_kernel) = target(&v.name).ok_or_else(|| WeightsError::Unsupported {
            path: path.to_owned(),
            detail: format!(
                "variable {} is not part of a pix2pix U-Net generator this version knows",
                v.name
            ),
        })?;
        let (shape, values) = if is_kernel {
            if v.shape.len() != 4 {
                return Err(WeightsError::Architecture {
                    path: path.to_owned(),
                    detail: Mismatch::OddShape {
                        name: v.name.clone(),
                        shape: v.shape.clone(),
                    },
                });
            }
            tf_kernel_to_burn(&v.shape, &values)
        } else {
            (v.shape.clone(), values)
        };
        tensors.insert(path_ours, (shape, values));
    }
    let kernel = |name: &str| {
        tensors
            .get(name)
            .map(|(s, _)| s.clone())
            .ok_or_else(|| WeightsError::Unsupported {
                path: path.to_owned(),
                detail: format!(
                    "no {name}: only 8-level U-Net generators (256×256) are supported yet"
                ),
            })
    };
    let first = kernel("down.0.conv.weight")?; // [ngf, in, 4, 4]
    let last = kernel(&format!("up.{}.conv.weight", DEPTH - 1))?; // [2 ngf, out, 4, 4]
    kernel(&format!("down.{}.conv.weight", DEPTH - 1))?;
    let innermost_norm = tensors.contains_key(&format!("down.{}.norm.gamma", DEPTH - 1));
    let config = GeneratorConfig::new()
        .with_ngf(first[0])
        .with_in_channels(first[1])
        .with_out_channels(last[1])
        .with_bias(BiasStyle::All)
        .with_innermost_encoder_norm(innermost_norm);

    // Refuse absurd sizes before building anything from them.
    crate::weights::check_generator_config(&config)
        .and_then(|()| crate::weights::check_holds(config.conv_weights(), total as u64))
        .map_err(|detail| WeightsError::Architecture {
            path: path.to_owned(),
            detail,
        })?;

    // Fill in what this generation of the format leaves out: zero biases (the first
    // pix2pix-tensorflow had none), and running statistics (never used: the demo normalised
    // with each image's own). Their lengths follow from the tensors present; whatever is still
    // missing or left over, the loader reports.
    let mut defaults = Vec::new();
    for (name, (shape, _)) in &tensors {
        if let Some(block) = name.strip_suffix(".conv.weight") {
            // Output channels: [out, in, kh, kw] down, [in, out, kh, kw] up.
            let channels = if block.starts_with("up.") {
                shape[1]
            } else {
                shape[0]
            };
            defaults.push((format!("{block}.conv.bias"), channels, 0.0));
        } else if let Some(block) = name.strip_suffix(".norm.gamma") {
            let channels = shape.first().copied().unwrap_or(0);
            defaults.push((format!("{block}.norm.running_mean"), channels, 0.0));
            defaults.push((format!("{block}.norm.running_var"), channels, 1.0));
        }
    }
    for (name, channels, value) in defaults {
        tensors
            .entry(name)
            .or_insert_with(|| (vec![channels], vec![value; channels]));
    }
    let out: Vec<(String, Vec<usize>, Vec<f32>)> = tensors
        .into_iter()
        .map(|(name, (shape, values))| (name, shape, values))
        .collect();
    let stem = path.file_stem().map_or("web demo model".into(), |s| {
        s.to_string_lossy().into_owned()
    });
    let mut info = ModelInfo::named(stem.clone());
    info.description = format!(
        "pix2pix-tensorflow web demo model (ngf {}, 8-bit quantised weights), imported from {}",
        config.ngf,
        path.display()
    );
    info.inference_stats = NormStats::Batch;
    // The demo's files are named after their direction (edges2cats_AtoB.pict).
    info.direction = if stem.ends_with("BtoA") {
        Direction::BtoA
    } else {
        Direction::AtoB
    };
    Ok(Imported {
        tensors: out,
        config,
        info,
    })
}

//! Averaging models of one architecture weight by weight.

use super::fill::fill;
use super::*;
use burn::tensor::Device;
use std::collections::HashMap;

/// Why models could not be averaged.
#[derive(Debug, thiserror::Error)]
pub enum AverageError {
    /// Nothing given.
    #[error("no models to average")]
    NoModels,
    /// Generators of different shapes.
    #[error("model {model} has a different generator architecture from model 1")]
    Generator {
        /// Which model (from 1).
        model: usize,
    },
    /// Discriminators of different shapes, or one missing.
    #[error("model {model} has a different discriminator (or none) from model 1")]
    Discriminator {
        /// Which model (from 1).
        model: usize,
    },
    /// A tensor that could not be read back.
    #[error("tensor {name}: {reason}")]
    Unreadable {
        /// The tensor.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// The mean could not be put in place.
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
}

/// Average models of one architecture weight by weight, e.g. the last snapshots of a training
/// run: the mean of a GAN's late iterates paints with fewer artefacts than any one of them
/// (checkpoint averaging, a coarse form of the generator EMA used in later GAN work). Running
/// statistics are averaged too. The result carries the last model's info, with the averaging
/// noted in its description.
pub fn average(mut models: Vec<ModelFile>, device: &Device) -> Result<ModelFile, AverageError> {
    let n = models.len();
    let Some(first) = models.first() else {
        return Err(AverageError::NoModels);
    };
    for (i, m) in models.iter().enumerate().skip(1) {
        if m.generator_config != first.generator_config {
            return Err(AverageError::Generator { model: i + 1 });
        }
        let (a, b) = (first.discriminator.as_ref(), m.discriminator.as_ref());
        if a.map(|(_, c)| c) != b.map(|(_, c)| c) {
            return Err(AverageError::Discriminator { model: i + 1 });
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
            let values = data.convert::<f32>().try_into_vec::<f32>().map_err(|e| {
                AverageError::Unreadable {
                    name: name.clone(),
                    reason: format!("{e:?}"),
                }
            })?;
            let sum = sums.entry(name).or_insert_with(|| vec![0.0; values.len()]);
            for (s, v) in sum.iter_mut().zip(values) {
                *s += f64::from(v);
            }
        }
    }
    let steps: Vec<String> = models.iter().map(|m| m.info.steps.to_string()).collect();
    let mut last = models.pop().expect("at least one model");
    // Every model's tensors were summed under the same names, so each is there.
    let mean = |name: &str, _: &[usize]| {
        let sum = sums
            .get(name)
            .ok_or_else(|| Mismatch::Missing(name.to_owned()))?;
        Ok(sum.iter().map(|s| (s / n as f64) as f32).collect())
    };
    let keep_ids = HashMap::new();
    last.generator = fill(last.generator, "generator", &keep_ids, device, mean)?;
    // An average paints; it is not a point a run continues from.
    last.training_generator = None;
    if let Some((d, c)) = last.discriminator.take() {
        last.discriminator = Some((fill(d, "discriminator", &keep_ids, device, mean)?, c));
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

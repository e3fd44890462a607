//! Averaging models of one architecture weight by weight.

use super::*;
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::HashMap;

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
        path: Default::default(),
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
pub(super) struct Averager<'a> {
    prefix: &'static str,
    path: super::module_path::ModulePath,
    sums: &'a HashMap<String, Vec<f64>>,
    n: f64,
    device: &'a Device,
}

impl ModuleMapper for Averager<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.name(self.prefix);
        let sum = &self.sums[&name];
        let values: Vec<f32> = sum.iter().map(|s| (s / self.n) as f32).collect();
        let shape = param.lazy_shape().to_vec();
        let tensor = Tensor::<D>::from_data(TensorData::new(values, shape), self.device);
        let id = param.id;
        param.transform_for_load(tensor, id)
    }
}

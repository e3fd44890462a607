//! An exponential moving average of a network's weights, the generator average of Karras et al.
//! 2018 (progressive GANs, StyleGAN) and Choi et al. 2020 (StarGAN v2): a GAN's iterates
//! oscillate around a good solution, and their running mean paints with fewer artefacts than
//! any one of them. BatchNorm running statistics are averaged like the weights.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// The decay used at update `step`: `min(decay, (1 + step) / (10 + step))`, so that an average
/// started from a fresh network forgets it quickly instead of dragging it along for thousands
/// of steps (the warm-up of TensorFlow's `ExponentialMovingAverage`).
pub fn decay_at(decay: f64, step: u64) -> f64 {
    let warm = (1.0 + step as f64) / (10.0 + step as f64);
    decay.min(warm)
}

/// `average ← decay · average + (1 − decay) · current`, tensor by tensor. Both modules must have
/// one architecture (they are matched in traversal order); `current` may live on an autodiff
/// device, the average does not (it never needs gradients).
pub fn update<M: Module>(average: M, current: &M, decay: f64) -> M {
    // Flattened so tensors of every rank fit one list; they stay on their device.
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let n = param.shape().num_elements();
            self.0.push(param.val().inner().reshape([n]));
        }
    }
    struct Blend {
        current: std::vec::IntoIter<Tensor<1>>,
        decay: f64,
    }
    impl ModuleMapper for Blend {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(cur) = self.current.next() else {
                return param;
            };
            let decay = self.decay;
            param.map(|avg| {
                let cur: Tensor<D> = cur.reshape(avg.dims());
                // On the CPU one pass in place (Burn's ops: three single-threaded passes and two
                // new tensors per parameter, every step).
                let (keep, take) = (decay as f32, (1.0 - decay) as f32);
                crate::kernels::update_values(avg, Some(&cur), 64 * 1024, |a, c| {
                    a.iter_mut()
                        .zip(c)
                        .for_each(|(a, &c)| *a = *a * keep + c * take)
                })
                .unwrap_or_else(|avg| avg.mul_scalar(decay) + cur.mul_scalar(1.0 - decay))
            })
        }
    }
    let mut values = Collect(Vec::new());
    current.visit(&mut values);
    average.map(&mut Blend {
        current: values.0.into_iter(),
        decay,
    })
}

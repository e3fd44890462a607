//! The optimizer of both networks: Adam as Burn defines it, its CPU update fused into one pass.
//!
//! Same state type as Burn's `Adam` (`AdamState`), so checkpoints written by either load into
//! the other and a run resumes across the change. On a flex device each parameter's update is
//! one pass over memory ([`crate::kernels::adam_update`]); on every other device, or with
//! `--burn-kernels`, Burn's `Adam` does it.

use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{Device, Tensor};

use crate::kernels::{self, AdamStep};

/// Second-moment decay: Burn's and PyTorch's default.
const BETA_2: f32 = 0.999;
/// Burn's default ε (PyTorch's is 1e-8; runs so far used this one).
const EPSILON: f32 = 1e-5;

/// Adam with β₂ = 0.999, ε = 1e-5 and the given β₁.
#[derive(Clone)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    burn: Adam,
}

impl FusedAdam {
    /// Adam with first-moment decay `beta_1`.
    pub fn new(beta_1: f32) -> Self {
        Self {
            beta_1,
            beta_2: BETA_2,
            epsilon: EPSILON,
            burn: AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(BETA_2)
                .with_epsilon(EPSILON)
                .build(),
        }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (time, m, v) = match state {
            Some(AdamState {
                momentum:
                    AdaptiveMomentumState {
                        time,
                        moment_1,
                        moment_2,
                        max_moment_2: None,
                    },
            }) => (time + 1, moment_1, moment_2),
            Some(state) => return self.burn.step(lr, tensor, grad, Some(state)),
            None => (1, grad.zeros_like(), grad.zeros_like()),
        };
        let step = AdamStep {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            time: i32::try_from(time).unwrap_or(i32::MAX),
            epsilon: self.epsilon,
            lr: lr as f32,
        };
        match kernels::adam_update(tensor, grad, m, v, step) {
            Ok((tensor, m, v)) => {
                let momentum = AdaptiveMomentumState::new(time, m, v);
                (tensor, Some(AdamState::new(momentum)))
            }
            Err([tensor, grad, m, v]) => {
                // Burn's Adam from the state as it was before this step.
                let state =
                    (time > 1).then(|| AdamState::new(AdaptiveMomentumState::new(time - 1, m, v)));
                self.burn.step(lr, tensor, grad, state)
            }
        }
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DiscriminatorConfig, NormStats};
    use burn::optim::{GradientsParams, ModuleOptimizer};

    /// Three steps of the fused optimizer and of Burn's Adam from the same weights and inputs
    /// give the same weights, and Burn's optimizer resumes from the fused one's state.
    #[test]
    fn matches_burns_adam_and_shares_its_state() {
        let device = Device::flex().autodiff();
        let (d, a, b) = crate::model::seeded::seeded(&device, 3, || {
            let random = || {
                Tensor::<4>::random([1, 3, 64, 64], burn::tensor::Distribution::Default, &device)
            };
            (
                crate::model::seeded::drawn(DiscriminatorConfig::new().with_ndf(4).init(&device)),
                random(),
                random(),
            )
        });
        let steps = |d: &crate::model::Discriminator, optim: &mut ModuleOptimizer, n: usize| {
            let mut d = d.clone();
            for i in 0..n {
                let loss = d
                    .forward(a.clone(), b.clone(), NormStats::Batch)
                    .powf_scalar(2.0)
                    .mean();
                let grads = GradientsParams::from_grads(loss.backward(), &d);
                d = optim.step(2e-4 * (i + 1) as f64, d, grads);
            }
            d
        };
        let mut fused = ModuleOptimizer::from(FusedAdam::new(0.5));
        let mut burns = AdamConfig::new().with_beta_1(0.5).init();
        let (d_fused, d_burn) = (steps(&d, &mut fused, 3), steps(&d, &mut burns, 3));
        let flat = |m: &crate::model::Discriminator| -> Vec<f32> {
            let mut all = Vec::new();
            for (_, _, data) in crate::weights::collect(m, "") {
                all.extend(data.convert::<f32>().try_to_vec::<f32>().expect("f32"));
            }
            all
        };
        // The largest weight difference between two networks.
        let worst = |a: &crate::model::Discriminator, b: &crate::model::Discriminator| {
            let (x, y) = (flat(a), flat(b));
            assert_eq!(x.len(), y.len());
            x.iter()
                .zip(&y)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0f32, f32::max)
        };
        let differ = worst(&d_fused, &d_burn);
        assert!(differ <= 1e-6, "fused and Burn's Adam differ by {differ}");
        // The state carries over: Burn's optimizer loaded from the fused one's record takes the
        // same fourth step as the fused one.
        let mut resumed = AdamConfig::new()
            .with_beta_1(0.5)
            .init()
            .load_record(fused.to_record());
        let differ = worst(
            &steps(&d_fused, &mut fused, 1),
            &steps(&d_fused, &mut resumed, 1),
        );
        assert!(differ <= 1e-6, "resumed state differs by {differ}");
    }
}

//! Seeded draws from Burn's random generator.
//!
//! Burn keeps one random generator per device, shared by every thread that uses the device: a
//! seed followed by draws (a network's initialisation, a random tensor) is reproducible only
//! when no other thread seeds or draws in between. Every seeded draw in this crate goes through
//! [`seeded`], which holds a process-wide lock from the seed to the last draw, so two trainers
//! started at once (or tests running side by side) each get their seed's networks.
//!
//! Burn initialises a module's parameters lazily, at their first use: a network made inside
//! [`seeded`] must be passed through [`drawn`] there, or its draws happen later, unlocked.

use std::sync::{Mutex, PoisonError};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};

/// Seeds `device`'s random generator with `seed` and runs `draw` with no other seeded draw in
/// between.
pub fn seeded<T>(device: &Device, seed: u64, draw: impl FnOnce() -> T) -> T {
    static LOCK: Mutex<()> = Mutex::new(());
    // A panic inside another draw leaves nothing half-done that this one depends on.
    let _turn = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    device.seed(seed);
    draw()
}

/// `module` with every parameter initialised now (Burn draws them at their first use).
pub fn drawn<M: Module>(module: M) -> M {
    struct Touch;
    impl ModuleVisitor for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    #[test]
    fn the_same_seed_draws_the_same_numbers_while_other_threads_draw() {
        let device = Device::flex();
        let draw = || {
            seeded(&device, 7, || {
                Tensor::<2>::random([64, 64], Distribution::Default, &device).into_data()
            })
        };
        let first = draw();
        let others: Vec<_> = (0..4)
            .map(|k| {
                let device = device.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        seeded(&device, k, || {
                            Tensor::<2>::random([64, 64], Distribution::Default, &device)
                                .into_data()
                        });
                    }
                })
            })
            .collect();
        for _ in 0..50 {
            assert_eq!(draw(), first);
        }
        for t in others {
            t.join().unwrap();
        }
    }

    #[test]
    fn a_drawn_network_is_the_seeds_even_when_used_after_other_draws() {
        let device = Device::flex();
        let config = crate::model::DiscriminatorConfig::new().with_ndf(4);
        let make = || seeded(&device, 3, || drawn(config.init(&device)));
        let first = make();
        let second = make();
        // Another seeded draw before either network is first used.
        seeded(&device, 4, || drawn(config.init(&device)));
        assert_eq!(values(&first), values(&second));
    }

    /// Every float parameter's values, in visiting order.
    fn values<M: Module>(module: &M) -> Vec<Vec<f32>> {
        struct Collect(Vec<Vec<f32>>);
        impl ModuleVisitor for Collect {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let data = param.val().into_data().convert::<f32>();
                self.0.push(data.try_to_vec::<f32>().expect("f32 values"));
            }
        }
        let mut c = Collect(Vec::new());
        module.visit(&mut c);
        c.0
    }
}

//! Whole training steps through pix2paint's CPU kernels against the same steps through Burn's
//! ops: the same losses, the same updated weights, and a model trained on one path paints the
//! same picture on the other. One test in this file, because the kernel switch is global.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use common::{draw_sketch, photo_for};
use pix2paint::kernels;
use pix2paint::model::NormStats;
use pix2paint::tensor_image::images_to_tensor;
use pix2paint::train::{Gan, Losses, NetworkConfig, TrainConfig};

/// Every float parameter of a module, in visiting order.
struct Floats(Vec<f32>);

impl ModuleVisitor for Floats {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let v = param.val().into_data().convert::<f32>();
        self.0.extend(v.try_to_vec::<f32>().expect("f32"));
    }
}

fn floats<M: Module>(m: &M) -> Vec<f32> {
    let mut f = Floats(Vec::new());
    m.visit(&mut f);
    f.0
}

/// Three GAN steps from the same start, with the kernels on or off; the losses, the trained
/// networks and the generator's and discriminator's starting weights.
fn train(ours: bool) -> (Vec<Losses>, Gan, [Vec<f32>; 2]) {
    kernels::set_enabled(ours);
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        network: NetworkConfig {
            ngf: 8,
            ndf: 8,
            ..NetworkConfig::default()
        },
        resolution: 256,
        ema_decay: Some(0.99),
        ..TrainConfig::default()
    };
    let mut gan = Gan::new(&config, "kernels", &d);
    let start = [floats(&gan.g), floats(&gan.d)];
    let sketches = [draw_sketch(256, 256), draw_sketch(256, 256)];
    let photos = [photo_for(256, 256, 10), photo_for(256, 256, 90)];
    let s = images_to_tensor(&[&sketches[0], &sketches[1]], &d);
    let p = images_to_tensor(&[&photos[0], &photos[1]], &d);
    let losses = (0..3)
        .map(|_| gan.step(s.clone(), p.clone(), &config))
        .collect();
    kernels::set_enabled(true);
    (losses, gan, start)
}

#[test]
fn training_steps_and_paintings_match_burns_path() {
    let (ours, gan_ours, start) = train(true);
    let (reference, gan_ref, start_ref) = train(false);
    assert_eq!(start, start_ref, "both runs start from the same weights");
    for (a, b) in ours.iter().zip(&reference) {
        for (x, y, what) in [
            (a.d, b.d, "D"),
            (a.g_gan, b.g_gan, "G_GAN"),
            (a.g_l1, b.g_l1, "G_L1"),
        ] {
            assert!(
                (x - y).abs() <= 1e-3 * y.abs().max(1e-3),
                "{what} loss {x} vs {y} (ours {ours:?}, Burn {reference:?})"
            );
        }
    }
    // Updated weights. Adam moves each weight by about ±lr whatever its gradient's size, so
    // where a gradient is a sum that nearly cancels (the first layers' over a white page, a
    // BatchNorm downstream making each channel's gradient sum to zero) rounding differences
    // between the two summation orders move weights differently: a few 1e-5 apart, never more
    // than 2·lr·steps. A wrong kernel changes the updates as a whole; so: every weight within
    // 1e-3, and the updates (weights after − before) within 1 % of each other in L2 (0.15 % and
    // 0.01 % measured for G and D).
    for (what, a, b, before) in [
        ("G", floats(&gan_ours.g), floats(&gan_ref.g), &start[0]),
        ("D", floats(&gan_ours.d), floats(&gan_ref.d), &start[1]),
    ] {
        assert_eq!(a.len(), b.len());
        let worst = a
            .iter()
            .zip(&b)
            .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(worst < 1e-3, "{what}: a weight differs by {worst}");
        let (mut diff, mut size) = (0f64, 0f64);
        for ((x, y), w) in a.iter().zip(&b).zip(before) {
            diff += ((x - y) as f64).powi(2);
            size += ((y - w) as f64).powi(2);
        }
        let rel = (diff / size).sqrt();
        eprintln!("{what}: updates differ by {:.2} % (L2)", 100.0 * rel);
        assert!(
            rel < 0.01,
            "{what}: the updates differ by {:.1} % (L2)",
            100.0 * rel
        );
    }
    let (ea, eb) = (
        floats(gan_ours.ema.as_ref().expect("EMA kept")),
        floats(gan_ref.ema.as_ref().expect("EMA kept")),
    );
    let worst = ea
        .iter()
        .zip(&eb)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst < 1e-3, "EMA: a weight differs by {worst}");

    // The model trained through our kernels paints the same picture through Burn's.
    let g = gan_ours.inference_generator();
    let x = images_to_tensor(&[&draw_sketch(256, 256)], &Device::flex());
    let paint = |on: bool| {
        kernels::set_enabled(on);
        let y = g.forward(x.clone(), NormStats::Batch, None);
        kernels::set_enabled(true);
        y.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32")
    };
    let (a, b) = (paint(true), paint(false));
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        worst <= 1e-4 * scale.max(1.0),
        "paintings differ by {worst}"
    );
}

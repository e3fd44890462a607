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
use pix2paint::train::{Gan, Losses, TrainConfig};

/// Every float parameter of a module, in visiting order.
struct Floats(Vec<f32>);

impl ModuleVisitor for Floats {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let v = param.val().into_data().convert::<f32>();
        self.0.extend(v.to_vec::<f32>().expect("f32"));
    }
}

fn floats<M: Module>(m: &M) -> Vec<f32> {
    let mut f = Floats(Vec::new());
    m.visit(&mut f);
    f.0
}

/// Three GAN steps from the same start, with the kernels on or off.
fn train(ours: bool) -> (Vec<Losses>, Gan) {
    kernels::set_enabled(ours);
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        ngf: 8,
        ndf: 8,
        resolution: 256,
        ema_decay: Some(0.99),
        ..TrainConfig::default()
    };
    let mut gan = Gan::new(&config, "kernels", &d);
    let sketches = [draw_sketch(256, 256), draw_sketch(256, 256)];
    let photos = [photo_for(256, 256, 10), photo_for(256, 256, 90)];
    let s = images_to_tensor(&[&sketches[0], &sketches[1]], &d);
    let p = images_to_tensor(&[&photos[0], &photos[1]], &d);
    let losses = (0..3)
        .map(|_| gan.step(s.clone(), p.clone(), &config))
        .collect();
    kernels::set_enabled(true);
    (losses, gan)
}

#[test]
fn training_steps_and_paintings_match_burns_path() {
    let (ours, gan_ours) = train(true);
    let (reference, gan_ref) = train(false);
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
    // Updated weights: Adam's first steps move each weight by about ±lr whatever the gradient's
    // size, so a gradient that is 0 ± rounding on both paths can move a weight the other way:
    // at most 2·lr·steps apart. A wrong kernel moves most weights; require nearly all equal.
    for (what, a, b) in [
        ("G", floats(&gan_ours.g), floats(&gan_ref.g)),
        ("D", floats(&gan_ours.d), floats(&gan_ref.d)),
        (
            "EMA",
            floats(gan_ours.ema.as_ref().expect("EMA kept")),
            floats(gan_ref.ema.as_ref().expect("EMA kept")),
        ),
    ] {
        assert_eq!(a.len(), b.len());
        let worst = a
            .iter()
            .zip(&b)
            .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        let apart = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (*x - *y).abs() > 1e-5)
            .count();
        assert!(worst < 1e-3, "{what}: a weight differs by {worst}");
        assert!(
            apart * 100 < a.len(),
            "{what}: {apart} of {} weights differ by more than 1e-5",
            a.len()
        );
    }

    // The model trained through our kernels paints the same picture through Burn's.
    let g = gan_ours.inference_generator();
    let x = images_to_tensor(&[&draw_sketch(256, 256)], &Device::flex());
    let paint = |on: bool| {
        kernels::set_enabled(on);
        let y = g.forward(x.clone(), NormStats::Batch, None, &[]);
        kernels::set_enabled(true);
        y.into_data().convert::<f32>().to_vec::<f32>().expect("f32")
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

//! The networks: shapes, ranges, determinism, and the pix2pix test-time choices.

mod common;

use burn::tensor::{Device, Distribution, Tensor};
use common::*;
use pix2paint::model::{BiasStyle, DiscriminatorConfig, DropoutNoise, GeneratorConfig, NormStats};

fn input(h: usize, w: usize, device: &Device) -> Tensor<4> {
    device.seed(7);
    Tensor::random([1, 3, h, w], Distribution::Uniform(-1.0, 1.0), device)
}

#[test]
fn generator_keeps_256_and_512_shapes() {
    let d = Device::flex();
    let g = tiny_generator(1, &d);
    for side in [256, 512] {
        let y = g.forward(input(side, side, &d), NormStats::Batch, None);
        assert_eq!(y.dims(), [1, 3, side, side]);
    }
}

#[test]
fn odd_sizes_are_padded_and_cropped_back() {
    let d = Device::flex();
    let g = tiny_generator(1, &d);
    let y = g.forward_any_size(input(300, 177, &d), None, NormStats::Batch, None, None);
    assert_eq!(y.dims(), [1, 3, 300, 177]);
}

#[test]
fn output_lies_in_tanh_range_and_is_not_constant() {
    let d = Device::flex();
    let g = tiny_generator(2, &d);
    let y = g.forward(input(256, 256, &d), NormStats::Batch, None);
    let v = y.into_data().try_into_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)));
    let (lo, hi) = v
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(hi - lo > 1e-3, "output is constant: {lo}..{hi}");
}

#[test]
fn inference_is_deterministic_and_seeds_give_reproducible_variations() {
    let d = Device::flex();
    let g = tiny_generator(3, &d);
    let c = tiny_config();
    let x = input(256, 256, &d);
    let run = |seed: Option<u64>| {
        let mut noise = seed.map(|s| DropoutNoise::new(s, c.dropout));
        g.forward(x.clone(), NormStats::Batch, noise.as_mut())
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    assert_eq!(run(None), run(None), "dropout off must be deterministic");
    assert_eq!(
        run(Some(5)),
        run(Some(5)),
        "a seed must reproduce its variation"
    );
    assert_ne!(
        run(Some(5)),
        run(Some(6)),
        "different seeds must give different variations"
    );
    assert_ne!(
        run(None),
        run(Some(5)),
        "a variation must differ from the plain result"
    );
}

#[test]
fn running_statistics_mode_differs_from_image_statistics() {
    let d = Device::flex();
    let g = tiny_generator(4, &d);
    let x = input(256, 256, &d);
    let a = g.forward(x.clone(), NormStats::Batch, None).into_data();
    let b = g.forward(x, NormStats::Running, None).into_data();
    assert_ne!(
        a.try_into_vec::<f32>().unwrap(),
        b.try_into_vec::<f32>().unwrap()
    );
}

#[test]
fn training_mode_updates_running_statistics() {
    let d = Device::flex();
    let g = tiny_generator(5, &d);
    let before = g.down[1]
        .norm
        .as_ref()
        .unwrap()
        .running_mean
        .value_sync()
        .into_data();
    let _ = g.forward(input(256, 256, &d), NormStats::Train, None);
    let after = g.down[1]
        .norm
        .as_ref()
        .unwrap()
        .running_mean
        .value_sync()
        .into_data();
    assert_ne!(
        before.try_into_vec::<f32>().unwrap(),
        after.try_into_vec::<f32>().unwrap()
    );
}

#[test]
fn config_expresses_both_published_variants() {
    let d = Device::flex();
    let tf = GeneratorConfig::new().with_ngf(4).init(&d);
    assert!(tf.down.iter().all(|b| b.conv.bias.is_some()));
    assert!(tf.down[7].norm.is_some());
    let pt = GeneratorConfig::new()
        .with_ngf(4)
        .with_bias(BiasStyle::OutputOnly)
        .with_innermost_encoder_norm(false)
        .with_dropout_decoders(vec![1, 2, 3])
        .init(&d);
    assert!(pt.down.iter().all(|b| b.conv.bias.is_none()));
    assert!(pt.up[..7].iter().all(|b| b.conv.bias.is_none()));
    assert!(pt.up[7].conv.bias.is_some());
    assert!(pt.down[7].norm.is_none() && pt.down[0].norm.is_none());
}

#[test]
fn paper_sizes_match_published_parameter_counts() {
    // junyanz unet_256 at ngf 64 reports 54.414 M parameters (running statistics excluded).
    let c = GeneratorConfig::new()
        .with_bias(BiasStyle::OutputOnly)
        .with_innermost_encoder_norm(false);
    let d = Device::flex();
    let g = c.init(&d);
    let params = g.learnable_params() as f64;
    assert_eq!((params / 1e3).round(), 54_414.0, "{params} parameters");
    assert!((c.flops(256, 256) as f64 / 1e9 - 12.1).abs() < 0.3);
}

#[test]
fn patchgan_gives_30x30_logits_at_256() {
    let d = Device::flex();
    let disc = DiscriminatorConfig::new().with_ndf(4).init(&d);
    let y = disc.forward(input(256, 256, &d), input(256, 256, &d), NormStats::Batch);
    assert_eq!(y.dims(), [1, 1, 30, 30]);
    // 128² × 6→64, 64² × 64→128, 32² × 128→256, 31² × 256→512, 30² × 512→1, 4×4 kernels.
    let expected: u64 = 2 * 16 * (128 * 128 * 6 * 64 + 64 * 64 * 64 * 128 + 32 * 32 * 128 * 256)
        + 2 * 16 * (31 * 31 * 256 * 512 + 30 * 30 * 512);
    assert_eq!(DiscriminatorConfig::new().flops(256, 256), expected);
}

#[test]
fn the_listed_conv_shapes_are_the_layers_init_builds() {
    let d = Device::flex();
    let gc = GeneratorConfig::pytorch_unet()
        .with_ngf(4)
        .with_hint_channels(4);
    let g = gc.init(&d);
    let shapes = gc.conv_shapes(256, 256);
    let weights: Vec<[usize; 4]> = g
        .down
        .iter()
        .map(|b| b.conv.weight.dims())
        .map(|[o, i, _, _]| [i, o, 0, 0])
        .chain(
            g.up.iter()
                .map(|b| b.conv.weight.dims())
                .map(|[i, o, _, _]| [i, o, 0, 0]),
        )
        .collect();
    assert_eq!(shapes.len(), weights.len());
    for (s, w) in shapes.iter().zip(&weights) {
        assert_eq!([s.cin, s.cout], [w[0], w[1]], "{}", s.name);
    }
    assert_eq!(shapes.last().unwrap().output(), [256, 256]);
    let dc = DiscriminatorConfig::new().with_ndf(4);
    let disc = dc.init(&d);
    let dshapes = dc.conv_shapes(256, 256);
    let dweights: Vec<[usize; 4]> = disc
        .blocks
        .iter()
        .map(|b| b.conv.weight.dims())
        .chain(std::iter::once(disc.out.weight.dims()))
        .collect();
    for (s, w) in dshapes.iter().zip(&dweights) {
        assert_eq!([s.cout, s.cin], [w[0], w[1]], "{}", s.name);
    }
    // The 70×70 PatchGAN's 30×30 output.
    assert_eq!(dshapes.last().unwrap().output(), [30, 30]);
}

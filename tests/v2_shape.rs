//! The second model's shape: ICNR-initialised decoders, hint channels, the weight average, and
//! files that carry all of it.

mod common;

use burn::module::Module;
use burn::tensor::module::{conv_transpose2d, conv2d, interpolate};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Distribution, Tensor};
use pix2paint::model::icnr::{expand, icnr_weight};
use pix2paint::model::{GeneratorConfig, NormStats, ema};
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest};

fn stride2(weight: Tensor<4>, x: Tensor<4>) -> Tensor<4> {
    conv_transpose2d(
        x,
        weight,
        None,
        ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
    )
}

/// Spread of each channel's values over the interior (the border rows see the padding).
fn interior_spread(y: Tensor<4>) -> f32 {
    let [_, c, h, w] = y.dims();
    let y = y.slice([0..1, 0..c, 1..h - 1, 1..w - 1]);
    let spread = y.clone().max_dim(2).max_dim(3) - y.min_dim(2).min_dim(3);
    spread.max().into_scalar::<f32>()
}

#[test]
fn an_icnr_decoder_is_nearest_upsampling_then_a_3x3_convolution() {
    let d = Device::flex();
    d.seed(3);
    let a = Tensor::<4>::random([5, 6, 3, 3], Distribution::Normal(0.0, 1.0), &d); // [Cin, Cout, 3, 3]
    let x = Tensor::<4>::random([2, 5, 7, 9], Distribution::Normal(0.0, 1.0), &d);
    let transposed = stride2(expand(a.clone()), x.clone()); // [2, 6, 14, 18]
    let up = interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([14, 18]),
    );
    let reference = conv2d(
        up,
        a.swap_dims(0, 1), // [Cout, Cin, 3, 3]
        None,
        ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
    );
    assert_eq!(transposed.dims(), reference.dims());
    let err = (transposed - reference.clone())
        .abs()
        .max()
        .into_scalar::<f32>();
    let scale = reference.abs().max().into_scalar::<f32>();
    assert!(err <= 1e-4 * scale, "max error {err} (scale {scale})");
}

#[test]
fn icnr_paints_no_checkerboard_on_a_flat_input_and_random_init_does() {
    let d = Device::flex();
    d.seed(5);
    let random = Tensor::<4>::random([8, 4, 4, 4], Distribution::Normal(0.0, 0.02), &d);
    let flat = Tensor::<4>::ones([1, 8, 10, 10], &d);
    let icnr = icnr_weight(random.clone());
    assert_eq!(icnr.dims(), [8, 4, 4, 4]);
    let with_icnr = interior_spread(stride2(icnr, flat.clone()));
    let with_random = interior_spread(stride2(random, flat));
    assert!(
        with_icnr < 1e-5,
        "ICNR output varies by {with_icnr} on a flat input"
    );
    assert!(
        with_random > 1e-3,
        "random init varied by only {with_random}"
    );
}

#[test]
fn the_generator_built_with_icnr_keeps_the_unet_shapes() {
    let d = Device::flex();
    let config = GeneratorConfig::pytorch_unet().with_ngf(4);
    let (plain, icnr) = (config.init(&d), config.init_icnr(&d));
    for (a, b) in plain.up.iter().zip(&icnr.up) {
        assert_eq!(a.conv.weight.dims(), b.conv.weight.dims());
    }
    let y = icnr.forward(Tensor::ones([1, 3, 256, 256], &d), NormStats::Batch, None);
    assert_eq!(y.dims(), [1, 3, 256, 256]);
}

#[test]
fn a_hint_model_given_only_the_sketch_paints_as_with_empty_hints() {
    let d = Device::flex();
    d.seed(9);
    let g = GeneratorConfig::pytorch_unet()
        .with_ngf(4)
        .with_hint_channels(4)
        .init(&d);
    assert_eq!(g.input_channels(), 7);
    let sketch = Tensor::<4>::random([1, 3, 256, 256], Distribution::Uniform(-1.0, 1.0), &d);
    let empty = Tensor::cat(vec![sketch.clone(), Tensor::zeros([1, 4, 256, 256], &d)], 1);
    let a = g.forward(sketch, NormStats::Batch, None);
    let b = g.forward(empty, NormStats::Batch, None);
    assert!((a - b).abs().max().into_scalar::<f32>() == 0.0);
}

#[test]
fn adding_hint_channels_to_a_model_keeps_its_painting() {
    let d = Device::flex();
    d.seed(11);
    let g = GeneratorConfig::pytorch_unet().with_ngf(4).init(&d);
    let sketch = Tensor::<4>::random([1, 3, 256, 256], Distribution::Uniform(-1.0, 1.0), &d);
    let before = g.forward(sketch.clone(), NormStats::Batch, None);
    let g = g.with_hint_channels(4);
    let hints = Tensor::<4>::random([1, 4, 256, 256], Distribution::Uniform(-1.0, 1.0), &d);
    let after = g.forward(Tensor::cat(vec![sketch, hints], 1), NormStats::Batch, None);
    assert!((before - after).abs().max().into_scalar::<f32>() < 1e-6);
}

#[test]
fn the_weight_average_moves_by_one_minus_decay() {
    let d = Device::flex();
    d.seed(1);
    let config = GeneratorConfig::pytorch_unet().with_ngf(4);
    let (avg, cur) = (config.init(&d), config.init(&d));
    let w0 = avg.down[1].conv.weight.val();
    let w1 = cur.down[1].conv.weight.val();
    let avg = ema::update(avg, &cur, 0.9);
    let expected = w0 * 0.9 + w1 * 0.1;
    let got = avg.down[1].conv.weight.val();
    assert!((got - expected).abs().max().into_scalar::<f32>() < 1e-6);
    assert!(
        ema::decay_at(0.999, 0) < 0.2,
        "a fresh average forgets its start fast"
    );
    assert_eq!(ema::decay_at(0.999, 1_000_000), 0.999);
}

#[test]
fn a_file_carries_the_average_and_the_training_generator() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let config = GeneratorConfig::pytorch_unet()
        .with_ngf(4)
        .with_hint_channels(4);
    d.seed(2);
    let (average, raw) = (config.init(&d), config.init(&d));
    weights::save(
        &path,
        &SaveRequest {
            generator: &average,
            generator_config: &config,
            training_generator: Some(&raw),
            discriminator: None,
            info: &ModelInfo::named("v2"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    let m = weights::load(&path, &d).unwrap();
    assert_eq!(m.generator_config.hint_channels, 4);
    let same = |a: &pix2paint::model::Generator, b: &pix2paint::model::Generator| {
        let (x, y) = (a.down[0].conv.weight.val(), b.down[0].conv.weight.val());
        (x - y).abs().max().into_scalar::<f32>() == 0.0
    };
    assert!(same(&m.generator, &average));
    assert!(same(m.training_generator.as_ref().unwrap(), &raw));
    assert_eq!(m.generator.num_params(), average.num_params());
}

#[test]
fn tying_the_phases_keeps_icnr_kernels_and_flattens_any_other() {
    use pix2paint::model::icnr::tie_phases;
    let d = Device::flex();
    d.seed(8);
    let random = Tensor::<4>::random([6, 5, 4, 4], Distribution::Normal(0.0, 0.02), &d);
    let icnr = icnr_weight(random.clone());
    let kept = (tie_phases(icnr.clone()) - icnr)
        .abs()
        .max()
        .into_scalar::<f32>();
    assert!(kept < 1e-7, "an ICNR kernel moved by {kept}");
    let tied = tie_phases(random.clone());
    let again = (tie_phases(tied.clone()) - tied.clone())
        .abs()
        .max()
        .into_scalar::<f32>();
    assert!(again < 1e-7, "a projection is idempotent ({again})");
    let flat = Tensor::<4>::ones([1, 6, 10, 10], &d);
    assert!(interior_spread(stride2(tied, flat.clone())) < 1e-5);
    assert!(interior_spread(stride2(random, flat)) > 1e-3);
}

//! pix2paint's CPU kernels against Burn's reference ops on the same inputs: every layer shape
//! of `unet_256` and the PatchGAN (ngf/ndf 4 and 32, batch 1 and 4) plus odd sizes, kernels
//! and paddings; outputs within 1e-4 and input, weight and bias gradients within 1e-3 of the
//! largest reference value.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};
use pix2paint::kernels;
use pix2paint::model::shapes::ConvShape;
use pix2paint::model::{DiscriminatorConfig, GeneratorConfig};

/// One layer to compare.
#[derive(Debug, Clone)]
struct Case {
    transposed: bool,
    x: [usize; 4],
    w: [usize; 4],
    bias: bool,
    stride: [usize; 2],
    /// (before, after) per axis; a transposed layer uses `before` on both sides.
    padding: [(usize, usize); 2],
    padding_out: [usize; 2],
}

impl Case {
    fn from_shape(s: &ConvShape, batch: usize, bias: bool) -> Self {
        let [h, w] = s.input;
        Case {
            transposed: s.transposed,
            x: [batch, s.cin, h, w],
            w: if s.transposed {
                [s.cin, s.cout, 4, 4]
            } else {
                [s.cout, s.cin, 4, 4]
            },
            bias,
            stride: [s.stride; 2],
            padding: [(1, 1), (1, 1)],
            padding_out: [0, 0],
        }
    }

    fn out_channels(&self) -> usize {
        if self.transposed {
            self.w[1]
        } else {
            self.w[0]
        }
    }

    /// Run through `ours` (pix2paint's kernels) or Burn's op.
    fn run(&self, x: Tensor<4>, w: Tensor<4>, b: Option<Tensor<1>>, ours: bool) -> Tensor<4> {
        if self.transposed {
            let o = ConvTransposeOptions::new(
                self.stride,
                [self.padding[0].0, self.padding[1].0],
                self.padding_out,
                [1, 1],
                1,
            );
            if ours {
                kernels::conv_transpose2d(x, w, b, o)
            } else {
                conv_transpose2d(x, w, b, o)
            }
        } else {
            let o = ConvOptions::new_with_padding(self.stride, self.padding, [1, 1], 1);
            if ours {
                kernels::conv2d(x, w, b, o)
            } else {
                conv2d(x, w, b, o)
            }
        }
    }
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32")
}

fn values1(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32")
}

/// max |a − b| ÷ max |b|.
fn rel(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-20);
    let err = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(err.is_finite(), "non-finite result");
    err / scale
}

/// Compare forward outputs and all gradients of one case.
fn check(case: &Case, seed: u64) {
    let device = Device::flex();
    device.seed(seed);
    let x = Tensor::<4>::random(case.x, Distribution::Normal(0.0, 1.0), &device);
    let w = Tensor::<4>::random(case.w, Distribution::Normal(0.0, 0.05), &device);
    let b = case.bias.then(|| {
        Tensor::<1>::random(
            [case.out_channels()],
            Distribution::Normal(0.0, 0.5),
            &device,
        )
    });

    let want = case.run(x.clone(), w.clone(), b.clone(), false);
    let got = case.run(x.clone(), w.clone(), b.clone(), true);
    assert_eq!(got.dims(), want.dims(), "{case:?}");
    let upstream = Tensor::<4>::random(want.dims(), Distribution::Normal(0.0, 1.0), &device);
    let e = rel(&values(got), &values(want));
    assert!(e < 1e-4, "forward differs by {e:e} on {case:?}");

    let ad = device.clone().autodiff();
    let grads = |ours: bool| {
        let xa = Tensor::<4>::from_inner(x.clone())
            .to_device(&ad)
            .require_grad();
        let wa = Tensor::<4>::from_inner(w.clone())
            .to_device(&ad)
            .require_grad();
        let ba = b
            .clone()
            .map(|b| Tensor::<1>::from_inner(b).to_device(&ad).require_grad());
        let up = Tensor::<4>::from_inner(upstream.clone()).to_device(&ad);
        let loss = (case.run(xa.clone(), wa.clone(), ba.clone(), ours) * up).sum();
        let g = loss.backward();
        (
            values(xa.grad(&g).expect("input gradient")),
            values(wa.grad(&g).expect("weight gradient")),
            ba.map(|b| values1(b.grad(&g).expect("bias gradient"))),
        )
    };
    let (gx, gw, gb) = grads(true);
    let (rx, rw, rb) = grads(false);
    let ex = rel(&gx, &rx);
    let ew = rel(&gw, &rw);
    assert!(ex < 1e-3, "input gradient differs by {ex:e} on {case:?}");
    assert!(ew < 1e-3, "weight gradient differs by {ew:e} on {case:?}");
    if let (Some(gb), Some(rb)) = (gb, rb) {
        let eb = rel(&gb, &rb);
        assert!(eb < 1e-3, "bias gradient differs by {eb:e} on {case:?}");
    }
}

fn network_shapes(width: usize, side: usize) -> Vec<ConvShape> {
    let mut shapes = GeneratorConfig::pytorch_unet()
        .with_ngf(width)
        .conv_shapes(side, side);
    shapes.extend(
        DiscriminatorConfig::new()
            .with_ndf(width)
            .conv_shapes(side, side),
    );
    shapes
}

#[test]
fn every_layer_of_the_networks_at_width_4_matches_burn() {
    for batch in [1, 4] {
        for (i, shape) in network_shapes(4, 256).iter().enumerate() {
            check(&Case::from_shape(shape, batch, i % 2 == 0), i as u64);
        }
    }
}

#[test]
fn every_layer_of_the_networks_at_width_32_matches_burn() {
    for batch in [1, 4] {
        for (i, shape) in network_shapes(32, 256).iter().enumerate() {
            check(&Case::from_shape(shape, batch, i % 3 == 0), 100 + i as u64);
        }
    }
}

#[test]
fn odd_sizes_kernels_and_paddings_match_burn() {
    let conv = |x: [usize; 4], w: [usize; 4], stride: usize, padding: [(usize, usize); 2]| Case {
        transposed: false,
        x,
        w,
        bias: true,
        stride: [stride; 2],
        padding,
        padding_out: [0, 0],
    };
    let up = |x: [usize; 4], w: [usize; 4], stride: usize, pad: usize, out: usize| Case {
        transposed: true,
        x,
        w,
        bias: true,
        stride: [stride; 2],
        padding: [(pad, pad); 2],
        padding_out: [out; 2],
    };
    let cases = [
        conv([1, 3, 7, 5], [8, 3, 4, 4], 2, [(1, 1), (1, 1)]),
        conv([2, 5, 9, 6], [4, 5, 4, 4], 1, [(1, 1), (1, 1)]),
        conv([3, 2, 5, 5], [3, 2, 3, 3], 1, [(0, 0), (0, 0)]),
        conv([1, 4, 6, 7], [5, 4, 3, 3], 2, [(1, 0), (2, 1)]),
        conv([2, 1, 1, 1], [2, 1, 4, 4], 2, [(1, 2), (1, 2)]),
        up([1, 6, 3, 5], [6, 4, 4, 4], 2, 1, 0),
        up([2, 3, 1, 1], [3, 5, 4, 4], 2, 1, 0),
        up([1, 2, 4, 3], [2, 3, 3, 3], 2, 1, 1),
        up([3, 4, 5, 2], [4, 2, 3, 3], 1, 0, 0),
    ];
    for (i, case) in cases.iter().enumerate() {
        check(case, 1000 + i as u64);
    }
}

#[test]
fn the_switch_sends_layers_to_burn_and_back() {
    // With the kernels off the call is Burn's own op: results are identical bit for bit.
    let device = Device::flex();
    device.seed(5);
    let case = Case::from_shape(&network_shapes(4, 64)[1], 1, false);
    let x = Tensor::<4>::random(case.x, Distribution::Normal(0.0, 1.0), &device);
    let w = Tensor::<4>::random(case.w, Distribution::Normal(0.0, 0.05), &device);
    let reference = values(case.run(x.clone(), w.clone(), None, false));
    assert!(kernels::enabled());
    kernels::set_enabled(false);
    let off = values(case.run(x.clone(), w.clone(), None, true));
    kernels::set_enabled(true);
    assert_eq!(off, reference);
    let on = values(case.run(x, w, None, true));
    assert!(rel(&on, &reference) < 1e-4);
}

#[test]
fn batch_norm_with_batch_statistics_matches_burn() {
    use burn::tensor::module::batch_norm_train;
    for (i, shape) in [
        [1, 8, 16, 16],
        [4, 3, 7, 5],
        [2, 64, 2, 2],
        [1, 32, 128, 128],
        [4, 1, 1, 3],
    ]
    .into_iter()
    .enumerate()
    {
        let device = Device::flex();
        device.seed(500 + i as u64);
        let c = shape[1];
        let x = Tensor::<4>::random(shape, Distribution::Normal(0.3, 2.0), &device);
        let gamma = Tensor::<1>::random([c], Distribution::Normal(1.0, 0.2), &device);
        let beta = Tensor::<1>::random([c], Distribution::Normal(0.0, 0.5), &device);
        let upstream = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);

        let got = kernels::batch_norm_train(x.clone(), gamma.clone(), beta.clone(), 1e-5);
        let want = batch_norm_train(x.clone(), gamma.clone(), beta.clone(), 1e-5);
        let e = rel(&values(got.output), &values(want.output));
        assert!(e < 1e-4, "output differs by {e:e} at {shape:?}");
        assert!(rel(&values1(got.mean), &values1(want.mean)) < 1e-4);
        assert!(rel(&values1(got.variance), &values1(want.variance)) < 1e-4);

        let ad = device.clone().autodiff();
        let grads = |ours: bool| {
            let xa = Tensor::<4>::from_inner(x.clone())
                .to_device(&ad)
                .require_grad();
            let ga = Tensor::<1>::from_inner(gamma.clone())
                .to_device(&ad)
                .require_grad();
            let ba = Tensor::<1>::from_inner(beta.clone())
                .to_device(&ad)
                .require_grad();
            let up = Tensor::<4>::from_inner(upstream.clone()).to_device(&ad);
            let y = if ours {
                kernels::batch_norm_train(xa.clone(), ga.clone(), ba.clone(), 1e-5).output
            } else {
                batch_norm_train(xa.clone(), ga.clone(), ba.clone(), 1e-5).output
            };
            let g = (y * up).sum().backward();
            (
                values(xa.grad(&g).expect("input gradient")),
                values1(ga.grad(&g).expect("gamma gradient")),
                values1(ba.grad(&g).expect("beta gradient")),
            )
        };
        let (ours, reference) = (grads(true), grads(false));
        for (what, a, b) in [
            ("input", &ours.0, &reference.0),
            ("gamma", &ours.1, &reference.1),
            ("beta", &ours.2, &reference.2),
        ] {
            let e = rel(a, b);
            assert!(e < 1e-3, "{what} gradient differs by {e:e} at {shape:?}");
        }
    }
}

#[test]
fn leaky_relu_and_relu_match_burn_zeros_included() {
    use burn::tensor::activation::{leaky_relu, relu};
    let device = Device::flex();
    let mut data: Vec<f32> = (0..4 * 8 * 9 * 7)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 10.0)
        .collect();
    data[3] = 0.0;
    data[77] = 0.0;
    let x = Tensor::<4>::from_data(burn::tensor::TensorData::new(data, [4, 8, 9, 7]), &device);
    let upstream = Tensor::<4>::random([4, 8, 9, 7], Distribution::Normal(0.0, 1.0), &device);
    for slope in [0.0, 0.2] {
        let reference = |t: Tensor<4>| {
            if slope == 0.0 {
                relu(t)
            } else {
                leaky_relu(t, slope)
            }
        };
        // Under autodiff, where pix2paint's kernel runs: outputs and gradients.
        let ours = output_and_gradient(&x, &upstream, |t| kernels::leaky_relu(t, slope));
        let burn = output_and_gradient(&x, &upstream, reference);
        assert_eq!(ours.0, burn.0, "slope {slope}: outputs differ");
        assert_eq!(ours.1, burn.1, "slope {slope}: gradients differ");
    }
}

#[test]
fn tanh_matches_burn_with_and_without_autodiff() {
    let device = Device::flex();
    let data: Vec<f32> = (0..2 * 3 * 17 * 13)
        .map(|i| ((i * 37 % 211) as f32 - 105.0) / 12.0)
        .collect();
    let x = Tensor::<4>::from_data(burn::tensor::TensorData::new(data, [2, 3, 17, 13]), &device);
    // Plain flex (inference).
    let plain = rel(&values(kernels::tanh(x.clone())), &values(x.clone().tanh()));
    assert!(plain <= 1e-6, "outputs differ by {plain}");
    // Under autodiff (training): outputs and input gradients.
    let upstream = Tensor::<4>::random([2, 3, 17, 13], Distribution::Normal(0.0, 1.0), &device);
    let ours = output_and_gradient(&x, &upstream, kernels::tanh);
    let burn = output_and_gradient(&x, &upstream, |t| t.tanh());
    assert!(rel(&ours.0, &burn.0) <= 1e-6, "outputs differ");
    assert!(rel(&ours.1, &burn.1) <= 1e-5, "gradients differ");
}

#[test]
fn rectified_concatenation_matches_burn() {
    use burn::tensor::activation::relu;
    let device = Device::flex();
    for batch in [1, 3] {
        let a = kernels_test_tensor([batch, 5, 7, 6], 3, &device);
        let b = kernels_test_tensor([batch, 2, 7, 6], 9, &device);
        let ours = values(kernels::cat_relu(a.clone(), b.clone()));
        let burn = values(relu(Tensor::cat(vec![a, b], 1)));
        assert_eq!(ours, burn, "batch {batch}");
    }
}

/// A tensor of `dims` with values of both signs (and some exact zeros) from `seed`.
fn kernels_test_tensor(dims: [usize; 4], seed: usize, device: &Device) -> Tensor<4> {
    let n: usize = dims.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|i| (((i + seed) * 37 % 101) as f32 - 50.0) / 10.0)
        .collect();
    Tensor::<4>::from_data(burn::tensor::TensorData::new(data, dims), device)
}

/// `f(x)` under autodiff: its output and the input gradient of `Σ f(x) · upstream`.
fn output_and_gradient(
    x: &Tensor<4>,
    upstream: &Tensor<4>,
    f: impl Fn(Tensor<4>) -> Tensor<4>,
) -> (Vec<f32>, Vec<f32>) {
    let ad = x.device().autodiff();
    let xa = Tensor::<4>::from_inner(x.clone())
        .to_device(&ad)
        .require_grad();
    let up = Tensor::<4>::from_inner(upstream.clone()).to_device(&ad);
    let y = f(xa.clone());
    let out = values(y.clone().inner());
    let g = (y * up).sum().backward();
    (out, values(xa.grad(&g).expect("input gradient")))
}

//! `pix2paint bench --layers`: every convolution of the generator and the discriminator timed
//! alone on the CPU backend, forward and backward (input and weight gradients), at 256²,
//! batch 1, with GFLOP/s and the share of the CPU's peak, through pix2paint's kernels and
//! through Burn's flex ops side by side. This is the table that says which layer holds a
//! training step back, and what a faster kernel for it gained.

use anyhow::Result;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};
use pix2paint::kernels::{self, QuantizedWeight, conv_transpose2d, conv2d};
use pix2paint::model::shapes::ConvShape;
use pix2paint::model::{DiscriminatorConfig, GeneratorConfig};
use std::time::Instant;

/// What to time.
pub struct LayerBench {
    /// Generator widths.
    pub ngf: Vec<usize>,
    /// Discriminator width.
    pub ndf: usize,
    /// Timed runs (median).
    pub iters: usize,
    /// Untimed runs first.
    pub warmup: usize,
    /// Peak GFLOP/s and how it was found.
    pub peak: Option<(f64, String)>,
}

/// The layer's forward pass on `x` with weight `w` (through whichever kernels are enabled).
fn forward(shape: &ConvShape, x: Tensor<4>, w: Tensor<4>) -> Tensor<4> {
    let s = shape.stride;
    if shape.transposed {
        conv_transpose2d(
            x,
            w,
            None,
            ConvTransposeOptions::new([s, s], [1, 1], [0, 0], [1, 1], 1),
        )
    } else {
        conv2d(x, w, None, ConvOptions::new([s, s], [1, 1], [1, 1], 1))
    }
}

/// The layer's forward pass with its weight quantised (the live canvas's reduced precision).
fn forward_quantized(
    shape: &ConvShape,
    x: Tensor<4>,
    q: &QuantizedWeight,
    w: Tensor<4>,
) -> Tensor<4> {
    let s = shape.stride;
    if shape.transposed {
        let options = ConvTransposeOptions::new([s, s], [1, 1], [0, 0], [1, 1], 1);
        kernels::conv_transpose2d_quantized(x, q, w, None, options)
    } else {
        kernels::conv2d_quantized(x, q, w, None, ConvOptions::new([s, s], [1, 1], [1, 1], 1))
    }
}

/// Median milliseconds of `f` after `warmup` untimed runs.
fn time(iters: usize, warmup: usize, mut f: impl FnMut() -> f64) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let v: Vec<f64> = (0..iters).map(|_| f()).collect();
    super::timing::median(v)
}

/// Forward ms of one layer with its weight quantised, when this CPU has the path.
fn time_quantized(shape: &ConvShape, device: &Device, iters: usize, warmup: usize) -> Option<f64> {
    let (x, weight) = layer_operands(shape, device);
    let q = if shape.transposed {
        QuantizedWeight::conv_transpose(&weight)
    } else {
        QuantizedWeight::conv(&weight)
    }?;
    Some(time(iters, warmup, || {
        let t = Instant::now();
        let y = forward_quantized(shape, x.clone(), &q, weight.clone());
        drop(y);
        t.elapsed().as_secs_f64() * 1e3
    }))
}

/// A random input and weight for the layer.
fn layer_operands(shape: &ConvShape, device: &Device) -> (Tensor<4>, Tensor<4>) {
    let [h, w] = shape.input;
    let x = Tensor::<4>::random([1, shape.cin, h, w], Distribution::Normal(0.0, 1.0), device);
    let wshape = if shape.transposed {
        [shape.cin, shape.cout, 4, 4]
    } else {
        [shape.cout, shape.cin, 4, 4]
    };
    let weight = Tensor::<4>::random(wshape, Distribution::Normal(0.0, 0.02), device);
    (x, weight)
}

/// (forward ms, backward ms) of one layer.
fn time_layer(shape: &ConvShape, device: &Device, iters: usize, warmup: usize) -> (f64, f64) {
    let (x, weight) = layer_operands(shape, device);
    let fwd = time(iters, warmup, || {
        let t = Instant::now();
        let y = forward(shape, x.clone(), weight.clone());
        let _ = device.sync();
        drop(y);
        t.elapsed().as_secs_f64() * 1e3
    });
    let ad = device.clone().autodiff();
    let bwd = time(iters, warmup, || {
        let xa = Tensor::<4>::from_inner(x.clone())
            .to_device(&ad)
            .require_grad();
        let wa = Tensor::<4>::from_inner(weight.clone())
            .to_device(&ad)
            .require_grad();
        let loss = forward(shape, xa.clone(), wa.clone()).sum();
        let t = Instant::now();
        let grads = loss.backward();
        let (gx, gw) = (xa.grad(&grads), wa.grad(&grads));
        let _ = device.sync();
        drop((gx, gw));
        t.elapsed().as_secs_f64() * 1e3
    });
    (fwd, bwd)
}

/// (forward ms, backward ms) of one layer through pix2paint's kernels, then through Burn's.
fn time_both(shape: &ConvShape, device: &Device, iters: usize, warmup: usize) -> [(f64, f64); 2] {
    let was = kernels::enabled();
    kernels::set_enabled(true);
    let ours = time_layer(shape, device, iters, warmup);
    kernels::set_enabled(false);
    let burn = time_layer(shape, device, iters, warmup);
    kernels::set_enabled(was);
    [ours, burn]
}

/// Time every layer and print the table.
pub fn run(b: &LayerBench) -> Result<()> {
    let device = pix2paint::device::cpu().device;
    let peak = b.peak.as_ref().map(|p| p.0);
    let pct = |gflops: f64| peak.map_or("–".into(), |p| format!("{:.0} %", 100.0 * gflops / p));
    for &ngf in &b.ngf {
        let mut shapes = GeneratorConfig::pytorch_unet()
            .with_ngf(ngf)
            .conv_shapes(256, 256);
        shapes.extend(
            DiscriminatorConfig::new()
                .with_ndf(b.ndf)
                .conv_shapes(256, 256),
        );
        println!(
            "\nCPU (flex), ngf {ngf} / ndf {}, 256², batch 1; pix2paint's kernels, then Burn's flex ops:\n",
            b.ndf
        );
        println!(
            "| layer | C_in → C_out | input | fwd ms | fwd GFLOP/s | fwd % peak | bwd ms | bwd GFLOP/s | bwd % peak | Burn fwd ms | Burn bwd ms | speed-up fwd / bwd | 8-bit fwd ms |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        let mut totals = [[0.0f64; 2]; 2];
        let mut flops_sum = 0.0;
        let mut quantized_sum = 0.0;
        for shape in &shapes {
            let [(f, bw), (rf, rb)] = time_both(shape, &device, b.iters, b.warmup);
            // Only the generator paints at reduced precision.
            let q = (!shape.name.starts_with('D'))
                .then(|| time_quantized(shape, &device, b.iters, b.warmup))
                .flatten();
            quantized_sum += q.unwrap_or(0.0);
            let q = q.map_or("–".into(), |q| format!("{q:.2}"));
            let flops = shape.flops() as f64;
            // Backward: the input gradient and the weight gradient, each as many FLOPs as the
            // forward pass.
            let (gf, gb) = (flops / f / 1e6, 2.0 * flops / bw / 1e6);
            println!(
                "| {} | {} → {} | {}×{} | {f:.2} | {gf:.1} | {} | {bw:.2} | {gb:.1} | {} | {rf:.2} | {rb:.2} | {:.2}× / {:.2}× | {q} |",
                shape.name,
                shape.cin,
                shape.cout,
                shape.input[0],
                shape.input[1],
                pct(gf),
                pct(gb),
                rf / f,
                rb / bw,
            );
            totals[0][0] += f;
            totals[0][1] += bw;
            totals[1][0] += rf;
            totals[1][1] += rb;
            flops_sum += flops;
        }
        let [[f, bw], [rf, rb]] = totals;
        println!(
            "| all | | | {f:.1} | {:.1} | {} | {bw:.1} | {:.1} | {} | {rf:.1} | {rb:.1} | {:.2}× / {:.2}× | {quantized_sum:.1} |",
            flops_sum / f / 1e6,
            pct(flops_sum / f / 1e6),
            2.0 * flops_sum / bw / 1e6,
            pct(2.0 * flops_sum / bw / 1e6),
            rf / f,
            rb / bw,
        );
    }
    if let Some((_, how)) = &b.peak {
        println!("\nCPU peak estimate: {how}");
    }
    Ok(())
}

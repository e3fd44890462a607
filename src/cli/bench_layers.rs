//! `pix2paint bench --layers`: every convolution of the generator and the discriminator timed
//! alone on the CPU backend, forward and backward (input and weight gradients), at 256²,
//! batch 1, with GFLOP/s and the share of the CPU's peak. This is the table that says which
//! layer holds a training step back, and what a faster kernel for it would gain.

use anyhow::Result;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};
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

/// The layer's forward pass on `x` with weight `w`.
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

/// Median milliseconds of `f` after `warmup` untimed runs.
fn time(iters: usize, warmup: usize, mut f: impl FnMut() -> f64) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let v: Vec<f64> = (0..iters).map(|_| f()).collect();
    super::bench::median(v)
}

/// (forward ms, backward ms) of one layer.
fn time_layer(shape: &ConvShape, device: &Device, iters: usize, warmup: usize) -> (f64, f64) {
    let [h, w] = shape.input;
    let x = Tensor::<4>::random([1, shape.cin, h, w], Distribution::Normal(0.0, 1.0), device);
    let wshape = if shape.transposed {
        [shape.cin, shape.cout, 4, 4]
    } else {
        [shape.cout, shape.cin, 4, 4]
    };
    let weight = Tensor::<4>::random(wshape, Distribution::Normal(0.0, 0.02), device);
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
        println!("\nCPU (flex), ngf {ngf} / ndf {}, 256², batch 1:\n", b.ndf);
        println!(
            "| layer | C_in → C_out | input | fwd ms | fwd GFLOP/s | fwd % peak | bwd ms | bwd GFLOP/s | bwd % peak |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        let (mut total_f, mut total_b, mut flops_sum) = (0.0, 0.0, 0.0);
        for shape in &shapes {
            let (f, bw) = time_layer(shape, &device, b.iters, b.warmup);
            let flops = shape.flops() as f64;
            // Backward: the input gradient and the weight gradient, each as many FLOPs as the
            // forward pass.
            let (gf, gb) = (flops / f / 1e6, 2.0 * flops / bw / 1e6);
            println!(
                "| {} | {} → {} | {}×{} | {f:.2} | {gf:.1} | {} | {bw:.2} | {gb:.1} | {} |",
                shape.name,
                shape.cin,
                shape.cout,
                shape.input[0],
                shape.input[1],
                pct(gf),
                pct(gb)
            );
            total_f += f;
            total_b += bw;
            flops_sum += flops;
        }
        println!(
            "| all | | | {total_f:.1} | {:.1} | {} | {total_b:.1} | {:.1} | {} |",
            flops_sum / total_f / 1e6,
            pct(flops_sum / total_f / 1e6),
            2.0 * flops_sum / total_b / 1e6,
            pct(2.0 * flops_sum / total_b / 1e6)
        );
    }
    if let Some((_, how)) = &b.peak {
        println!("\nCPU peak estimate: {how}");
    }
    Ok(())
}

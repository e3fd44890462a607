//! The generator on Burn's wgpu backend agrees with the CPU backend.
//!
//! In CI (`PIX2PAINT_REQUIRE_GPU=1`, set by `.ci/run`, which installs Mesa's software Vulkan)
//! a missing adapter FAILS this test; elsewhere it is reported and the test returns.

mod common;

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use common::*;
use pix2paint::device;
use pix2paint::model::{DropoutNoise, NormStats};
use pix2paint::tensor_image::images_to_tensor;
use pix2paint::train::{Gan, NetworkConfig, TrainConfig};

/// Wait until the GPU has finished everything queued, so that no driver thread is still busy
/// when the test process exits (lavapipe can crash at exit otherwise).
fn settle(gpu: &device::Compute) {
    gpu.device.sync().expect("the GPU finishes its work");
    if let Some(s) = &gpu.wgpu_setup {
        let _ = s.device.poll(wgpu::PollType::wait_indefinitely());
    }
}

/// The wgpu device, or None where there is none and CI does not require one.
fn gpu_or_skip() -> Option<device::Compute> {
    match device::wgpu() {
        Ok(c) => Some(c),
        Err(reason) => {
            if std::env::var_os("PIX2PAINT_REQUIRE_GPU").is_some_and(|v| v == "1") {
                panic!("CI expects a wgpu adapter (lavapipe) but found none: {reason}");
            }
            eprintln!(
                "no wgpu adapter here ({reason}); set PIX2PAINT_REQUIRE_GPU=1 to make this fatal"
            );
            None
        }
    }
}

#[test]
fn wgpu_forward_matches_cpu() {
    let Some(gpu) = gpu_or_skip() else { return };
    eprintln!("wgpu adapter: {}", gpu.description);
    let cpu = Device::flex();
    let g = tiny_generator(1, &cpu);
    let c = tiny_config();
    cpu.seed(3);
    let x = Tensor::<4>::random([1, 3, 256, 256], Distribution::Uniform(-1.0, 1.0), &cpu);
    for variation in [None, Some(9)] {
        let run = |g: &pix2paint::model::Generator, x: Tensor<4>| {
            let mut noise = variation.map(|s| DropoutNoise::new(s, c.dropout));
            g.forward(x, NormStats::Batch, noise.as_mut())
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap()
        };
        let reference = run(&g, x.clone());
        let on_gpu = run(
            &g.clone().to_device(&gpu.device),
            x.clone().to_device(&gpu.device),
        );
        let num: f64 = reference
            .iter()
            .zip(&on_gpu)
            .map(|(a, b)| ((a - b) as f64).powi(2))
            .sum();
        let den: f64 = reference.iter().map(|a| (*a as f64).powi(2)).sum();
        let rel = (num / den).sqrt();
        assert!(rel < 1e-3, "‖Δ‖/‖ref‖ = {rel} (variation {variation:?})");
    }
    settle(&gpu);
}

#[test]
fn a_training_step_on_wgpu_matches_cpu() {
    let Some(gpu) = gpu_or_skip() else { return };
    // The same starting point on both devices: one checkpoint, resumed on each.
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let config = TrainConfig {
        network: NetworkConfig {
            ngf: 4,
            ndf: 4,
            ..NetworkConfig::default()
        },
        steps: 2,
        ..TrainConfig::default()
    };
    let cpu = Device::flex().autodiff();
    Gan::new(&config, "t", &cpu)
        .save_checkpoint(&ckpt, &config)
        .unwrap();
    let sketch = draw_sketch(256, 256);
    let photo = image::RgbImage::from_fn(256, 256, |x, y| {
        image::Rgb([(x / 2) as u8, (y / 2) as u8, 120])
    });
    let step = |device: &Device| {
        let (mut gan, config) = Gan::resume(&ckpt, device).unwrap();
        let s = images_to_tensor(&[&sketch], device);
        let p = images_to_tensor(&[&photo], device);
        let first = gan.step(s.clone(), p.clone(), &config);
        let second = gan.step(s, p, &config);
        (first, second)
    };
    let on_cpu = step(&cpu);
    let on_gpu = step(&gpu.device.clone().autodiff());
    let close = |a: f32, b: f32| (a - b).abs() <= 2e-3 * a.abs().max(1.0);
    for (c, g) in [(on_cpu.0, on_gpu.0), (on_cpu.1, on_gpu.1)] {
        assert!(
            close(c.d, g.d) && close(c.g_gan, g.g_gan) && close(c.g_l1, g.g_l1),
            "CPU {c:?} vs wgpu {g:?}"
        );
    }
    settle(&gpu);
}

#[test]
fn the_result_shader_matches_its_cpu_reference() {
    use pix2paint::gpu_image::{
        TensorToTexture, create_texture, read_texture, tensor_to_rgba_reference,
    };
    let Some(gpu) = gpu_or_skip() else { return };
    let setup = gpu
        .wgpu_setup
        .clone()
        .expect("a wgpu device comes with its setup");
    let (device, queue) = (&setup.device, &setup.queue);
    let shader = TensorToTexture::new(device);
    let cpu = Device::flex();
    cpu.seed(4);
    // Values beyond [-1, 1] too (clamped), odd sizes, and a cropped view with an offset.
    let full = Tensor::<4>::random([1, 3, 40, 57], Distribution::Uniform(-1.3, 1.3), &cpu);
    let on_gpu = full.clone().to_device(&gpu.device);
    let cases = [
        (full.clone(), on_gpu.clone()),
        (
            full.clone().slice([0..1, 0..3, 3..37, 5..50]),
            on_gpu.slice([0..1, 0..3, 3..37, 5..50]),
        ),
    ];
    for (reference, tensor) in cases {
        let [_, _, h, w] = reference.dims();
        let values = reference
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap();
        let want = tensor_to_rgba_reference(&values, w as u32, h as u32);
        let texture = create_texture(device, w as u32, h as u32);
        shader.run(device, queue, tensor, &texture).unwrap();
        let got = read_texture(device, queue, &texture);
        // The UI samples an sRGB view of the same texture.
        let _view = pix2paint::gpu_image::display_view(&texture);
        let worst = want
            .as_raw()
            .iter()
            .zip(got.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 1, "{w}×{h}: largest difference {worst} levels");
    }
    drop(shader);
    settle(&gpu);
}

//! `pix2paint bench --train` on a GPU: whether the wgpu backend trains the same network as the
//! CPU. Two steps from one checkpoint on each device, compared loss by loss (the GPU stretch
//! script, `benches/gpu_stretch.sh`, records this beside the timings on real hardware).

use anyhow::{Context, Result};
use burn::tensor::Device;
use pix2paint::tensor_image::images_to_tensor;
use pix2paint::train::{Gan, TrainConfig};

/// The largest relative difference between the CPU's and `gpu`'s losses (D, G's GAN term, G's
/// L1) over two training steps from the same checkpoint, at `config`'s widths.
pub fn step_agreement(
    config: &TrainConfig,
    gpu: &Device,
    sketch: &image::RgbImage,
    photo: &image::RgbImage,
) -> Result<f64> {
    let dir = tempfile::tempdir().context("a temporary folder for the checkpoint")?;
    let ckpt = dir.path().join("agreement.ckpt.safetensors");
    let cpu = Device::flex().autodiff();
    Gan::new(config, "agreement", &cpu).save_checkpoint(&ckpt, config)?;
    let losses = |device: &Device| -> Result<Vec<f32>> {
        let (mut gan, config) = Gan::resume(&ckpt, device)?;
        let s = images_to_tensor(&[sketch], device);
        let p = images_to_tensor(&[photo], device);
        let mut out = Vec::new();
        for _ in 0..2 {
            let l = gan.step(s.clone(), p.clone(), &config);
            out.extend([l.d, l.g_gan, l.g_l1]);
        }
        Ok(out)
    };
    let (on_cpu, on_gpu) = (losses(&cpu)?, losses(&gpu.clone().autodiff())?);
    Ok(on_cpu
        .iter()
        .zip(&on_gpu)
        .map(|(&c, &g)| ((c - g).abs() / c.abs().max(1e-3)) as f64)
        .fold(0.0, f64::max))
}

//! `pix2paint export MODEL --to pth --pair`: hand a run to PyTorch pix2pix (junyanz's
//! `train.py --continue_train`, multi-GPU with `--gpu_ids`) as the checkpoint pair it resumes
//! from, and say the flags that rebuild the same networks.

use anyhow::{Context, Result, bail};
use pix2paint::files::{check_writable, same_file, write_atomic};
use pix2paint::weights::import::pth;
use pix2paint::weights::{Direction, ModelFile};
use std::path::{Path, PathBuf};

/// Write `latest_net_G.pth` and `latest_net_D.pth` into `dir` (made if missing); `inputs` are
/// the model files, never overwritten.
pub fn write(model: ModelFile, dir: &Path, inputs: &[PathBuf]) -> Result<()> {
    let Some((d, d_config)) = &model.discriminator else {
        bail!(
            "{} holds no discriminator, and a training pair needs one: export a training \
             checkpoint, or a model pix2paint trained (they keep theirs)",
            inputs
                .last()
                .map_or_else(String::new, |p| p.display().to_string())
        );
    };
    let config = &model.generator_config;
    if d_config.in_channels != config.in_channels + config.out_channels {
        bail!(
            "the discriminator reads {} channels, not the sketch and the painting ({}):              pix2pix's train.py could not rebuild it",
            d_config.in_channels,
            config.in_channels + config.out_channels
        );
    }
    // Training goes on from the raw iterate, not from its moving average.
    let generator = model
        .training_generator
        .as_ref()
        .unwrap_or(&model.generator);
    let g_bytes = pth::to_bytes_without_hints(generator, config)
        .context("exporting the generator to PyTorch")?;
    let d_bytes =
        pth::discriminator_to_bytes(d, d_config).context("exporting the discriminator")?;
    check_writable(dir)
        .with_context(|| format!("cannot write into the folder {}", dir.display()))?;
    let g_path = dir.join("latest_net_G.pth");
    let d_path = dir.join("latest_net_D.pth");
    for (path, bytes) in [(&g_path, &g_bytes), (&d_path, &d_bytes)] {
        if inputs.iter().any(|m| same_file(m, path)) {
            bail!("{} is one of the inputs; pass another -o", path.display());
        }
        write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".into(),
    };
    eprintln!(
        "pix2paint: wrote {} ({}) and {} (its discriminator), after {} steps",
        g_path.display(),
        if model.training_generator.is_some() {
            "the raw generator training continues from, not its moving average"
        } else {
            "the generator"
        },
        d_path.display(),
        model.trained_steps()
    );
    if d_config.scales > 1 {
        eprintln!(
            "The discriminator judges {} scales; pix2pix's has one, so the pair holds the \
             full-scale PatchGAN and its coarser ones are left out.",
            d_config.scales
        );
    }
    if config.hint_channels > 0 {
        eprintln!(
            "The model takes colour hints; train.py feeds the sketch alone, so the generator in \
             the pair reads {} channels (its hint inputs' weights are left out: exact for a \
             painting without hints). Trained on there, it comes back without hints.",
            config.in_channels
        );
    }
    eprintln!(
        "Continue the run in pytorch-CycleGAN-and-pix2pix (DATA: a folder with train/ of A|B \
         pairs, e.g. from `pix2paint prepare`; add --gpu_ids 0,1,… and a batch size per GPU for \
         several GPUs; Adam starts afresh, as .pth checkpoints hold no optimizer state):\n  \
         python train.py --dataroot DATA --model pix2pix --checkpoints_dir {parent} --name \
         {name} --continue_train --epoch latest --netG unet_256 --ngf {} --netD basic \
         --n_layers_D {} --ndf {} --norm batch --input_nc {} --output_nc {} --direction {}\n\
         Bring the result back with File > Open model… or --weights {}",
        config.ngf,
        d_config.layers,
        d_config.ndf,
        config.in_channels,
        config.out_channels,
        match model.info.direction {
            Direction::AtoB => "AtoB",
            Direction::BtoA => "BtoA",
        },
        g_path.display()
    );
    Ok(())
}

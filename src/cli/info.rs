//! `pix2paint info MODEL`: what a weights file holds.

use anyhow::Result;
use clap::Args;
use pix2paint::weights;
use std::path::PathBuf;

/// Arguments of `pix2paint info`.
#[derive(Args)]
pub struct InfoArgs {
    /// The weights file.
    model: PathBuf,
}

/// Print the model's description, architecture and sizes.
pub fn run(args: InfoArgs) -> Result<()> {
    let device = burn::tensor::Device::flex();
    let m = weights::load(&args.model, &device)?;
    println!("name:          {}", m.info.name);
    if !m.info.description.is_empty() {
        println!("description:   {}", m.info.description);
    }
    println!("direction:     {:?}", m.info.direction);
    println!("resolution:    {}", m.info.resolution);
    println!("trained steps: {}", m.trained_steps());
    println!("inference BN:  {:?}", m.info.inference_stats);
    println!(
        "generator:     ngf {}, {} parameters, bias {:?}, innermost norm {}",
        m.generator_config.ngf,
        m.generator.learnable_params(),
        m.generator_config.bias,
        m.generator_config.innermost_encoder_norm
    );
    if m.generator_config.hint_channels > 0 {
        println!(
            "colour hints:  yes ({} input channels: sketch {} + hints {})",
            m.generator_config.input_channels(),
            m.generator_config.in_channels,
            m.generator_config.hint_channels
        );
    } else {
        println!("colour hints:  no (the model paints from the sketch alone)");
    }
    if m.training_generator.is_some() {
        println!(
            "weights:       a moving average of the run's generator; the raw generator travels \
             beside it for further training"
        );
    }
    match &m.discriminator {
        Some((d, c)) => println!(
            "discriminator: ndf {}, {} scale{}, {} parameters",
            c.ndf,
            c.scales,
            if c.scales == 1 { "" } else { "s" },
            d.learnable_params()
        ),
        None => println!("discriminator: none (fine-tuning starts a fresh one)"),
    }
    if !m.extras.is_empty() {
        let names: Vec<_> = m.extras.keys().cloned().collect();
        println!("training state: {}", names.join(", "));
    }
    Ok(())
}

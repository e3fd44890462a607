//! Bounds on the configs a file declares, checked before any network is built from them.

use crate::model::{DiscriminatorConfig, GeneratorConfig};

/// Refuse configs that would make absurd networks before allocating them.
pub(crate) fn check_generator_config(c: &GeneratorConfig) -> Result<(), String> {
    if c.ngf == 0 || c.ngf > 1024 || c.in_channels == 0 || c.out_channels == 0 {
        return Err(format!(
            "generator_config has impossible sizes (ngf {}, channels {}→{})",
            c.ngf, c.in_channels, c.out_channels
        ));
    }
    if c.in_channels > 64 || c.out_channels > 64 || !(0.0..1.0).contains(&c.dropout) {
        return Err("generator_config has impossible channel counts or dropout".into());
    }
    if ![1, 3].contains(&c.in_channels) || ![1, 3].contains(&c.out_channels) {
        return Err(format!(
            "the generator reads {} channels and writes {}; pix2paint paints sketches of 1 or 3 \
             channels into images of 1 or 3 (a Lab colorization model, for one, writes 2 and \
             cannot be shown)",
            c.in_channels, c.out_channels
        ));
    }
    if c.hint_channels != 0 && c.hint_channels != crate::hints::CHANNELS {
        return Err(format!(
            "generator_config has {} hint channels; colour hints take {} (RGB and a mask)",
            c.hint_channels,
            crate::hints::CHANNELS
        ));
    }
    if !(c.norm_epsilon.is_finite() && c.norm_epsilon > 0.0) {
        return Err(format!(
            "generator_config has a BatchNorm epsilon of {}; it must be above 0",
            c.norm_epsilon
        ));
    }
    Ok(())
}

/// Refuse a file whose configs declare more weights than its tensors hold, before a network is
/// built from them: a few bytes of config could otherwise ask for terabytes.
pub(crate) fn check_holds(declared: u64, held: u64) -> Result<(), String> {
    if declared > held {
        return Err(format!(
            "its configs declare networks of {:.1} M weights but it holds only {:.1} M",
            declared as f64 / 1e6,
            held as f64 / 1e6
        ));
    }
    Ok(())
}

pub(super) fn check_discriminator_config(c: &DiscriminatorConfig) -> Result<(), String> {
    if c.ndf == 0 || c.ndf > 1024 || c.in_channels == 0 || c.in_channels > 128 || c.layers > 8 {
        return Err(format!(
            "discriminator_config has impossible sizes (ndf {}, layers {})",
            c.ndf, c.layers
        ));
    }
    Ok(())
}

//! Bounds on the configs a file declares, checked before any network is built from them.

use super::Mismatch;
use crate::model::{DiscriminatorConfig, GeneratorConfig};

/// The most scales a discriminator may have: a third halving already judges a 256² pair at
/// 64², the smallest side a 70×70 PatchGAN takes.
pub const MAX_SCALES: usize = 3;

/// Refuse configs that would make absurd networks before allocating them.
pub(crate) fn check_generator_config(c: &GeneratorConfig) -> Result<(), Mismatch> {
    if c.ngf == 0 || c.ngf > 1024 || c.in_channels == 0 || c.out_channels == 0 {
        return Err(Mismatch::GeneratorSizes {
            ngf: c.ngf,
            reads: c.in_channels,
            writes: c.out_channels,
        });
    }
    if c.in_channels > 64 || c.out_channels > 64 || !(0.0..1.0).contains(&c.dropout) {
        return Err(Mismatch::GeneratorBounds);
    }
    if ![1, 3].contains(&c.in_channels) || ![1, 3].contains(&c.out_channels) {
        return Err(Mismatch::Channels {
            reads: c.in_channels,
            writes: c.out_channels,
        });
    }
    if c.hint_channels != 0 && c.hint_channels != crate::hints::CHANNELS {
        return Err(Mismatch::HintChannels {
            found: c.hint_channels,
        });
    }
    if !(c.norm_epsilon.is_finite() && c.norm_epsilon > 0.0) {
        return Err(Mismatch::Epsilon(c.norm_epsilon));
    }
    Ok(())
}

/// Refuse a file whose configs declare more weights than its tensors hold, before a network is
/// built from them: a few bytes of config could otherwise ask for terabytes.
pub(crate) fn check_holds(declared: u64, held: u64) -> Result<(), Mismatch> {
    if declared > held {
        return Err(Mismatch::Holds { declared, held });
    }
    Ok(())
}

pub(super) fn check_discriminator_config(c: &DiscriminatorConfig) -> Result<(), Mismatch> {
    if c.ndf == 0
        || c.ndf > 1024
        || c.in_channels == 0
        || c.in_channels > 128
        || c.layers > 8
        || !(1..=MAX_SCALES).contains(&c.scales)
    {
        return Err(Mismatch::DiscriminatorSizes {
            ndf: c.ndf,
            layers: c.layers,
            scales: c.scales,
        });
    }
    Ok(())
}

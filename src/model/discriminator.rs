//! The 70×70 PatchGAN discriminator of pix2pix (Isola et al. 2017, §3.2.2, appendix 6.1.2):
//! C64-C128-C256-C512 then a 1-channel convolution, all 4×4. Each of the 30×30 logits it
//! produces for a 256² input judges one 70×70 patch of the (sketch, image) pair.
//!
//! With `scales` > 1 it is pix2pixHD's multi-scale discriminator (Wang et al. 2018, §3.2):
//! further PatchGANs of the same shape judge the pair halved once, twice…, so a coarse one
//! sees the whole cat and the background around it, where the 70×70 patches see only texture
//! ("without the multi-scale discriminators, we observe many repeated patterns").

use super::blocks::{NormStats, batch_norm, conv_forward, conv_init, norm_forward};
use super::shapes::ConvShape;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Device, Tensor};

/// Architecture of the PatchGAN; saved beside its weights.
#[derive(Config, Debug, PartialEq)]
pub struct DiscriminatorConfig {
    /// Channels of the input: sketch channels + image channels.
    #[config(default = 6)]
    pub in_channels: usize,
    /// Filters in the first layer; the paper uses 64.
    #[config(default = 64)]
    pub ndf: usize,
    /// Strided layers after the first: 3 gives the 70×70 receptive field.
    #[config(default = 3)]
    pub layers: usize,
    /// PatchGANs in all: the first judges the pair as it is, each further one the pair
    /// halved once more (2×2 average). 1 is pix2pix's single discriminator.
    #[config(default = 1)]
    pub scales: usize,
}

/// One block: Conv(4, stride, 1) → [BatchNorm] → LeakyReLU(0.2).
#[derive(Module, Debug)]
pub struct DBlock {
    /// The convolution.
    pub conv: Conv2d,
    /// Absent on the first block.
    pub norm: Option<BatchNorm>,
}

/// One PatchGAN of a multi-scale discriminator, for a coarser scale.
#[derive(Module, Debug)]
pub struct PatchGan {
    /// Feature blocks.
    pub blocks: Vec<DBlock>,
    /// The final 1-channel convolution producing logits.
    pub out: Conv2d,
}

/// The PatchGAN discriminator: the full-scale PatchGAN's layers, then those of the coarser
/// scales (kept apart so that files of single-scale discriminators keep their tensor names).
#[derive(Module, Debug)]
pub struct Discriminator {
    /// Feature blocks.
    pub blocks: Vec<DBlock>,
    /// The final 1-channel convolution producing logits.
    pub out: Conv2d,
    /// The PatchGANs of the pair halved once, twice…; empty for pix2pix's single scale.
    pub coarse: Vec<PatchGan>,
}

/// What one scale of the discriminator says of a batch of pairs.
pub struct Judgement {
    /// Patch logits. [B, 1, h, w]
    pub logits: Tensor<4>,
    /// Each feature block's output (after its activation), when asked for: what feature
    /// matching compares. [B, C_i, h_i, w_i] each
    pub features: Vec<Tensor<4>>,
}

fn conv(cin: usize, cout: usize, stride: usize, bias: bool, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [4, 4])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(bias)
        .with_initializer(conv_init())
        .init(device)
}

impl DiscriminatorConfig {
    /// Build the discriminator with pix2pix's initialisation.
    pub fn init(&self, device: &Device) -> Discriminator {
        let PatchGan { blocks, out } = self.init_patch_gan(device);
        Discriminator {
            blocks,
            out,
            coarse: (1..self.scales)
                .map(|_| self.init_patch_gan(device))
                .collect(),
        }
    }

    /// One PatchGAN with pix2pix's initialisation.
    fn init_patch_gan(&self, device: &Device) -> PatchGan {
        // The layer schedule is `conv_shapes`'; the size only matters to its FLOP counts.
        let shapes = self.conv_shapes(self.min_side(), self.min_side());
        // `layers` strided blocks and one stride-1 block, then the one-channel output layer.
        let (blocks, out) = shapes.split_at(self.layers + 1);
        let blocks = blocks
            .iter()
            .enumerate()
            .map(|(i, shape)| {
                let first = i == 0;
                DBlock {
                    conv: conv(shape.cin, shape.cout, shape.stride, first, device),
                    norm: (!first).then(|| batch_norm(shape.cout, device)),
                }
            })
            .collect();
        let out = &out[0];
        PatchGan {
            blocks,
            out: conv(out.cin, out.cout, out.stride, true, device),
        }
    }

    /// A side large enough for every stride-2 layer and the two stride-1 layers after them.
    fn min_side(&self) -> usize {
        8 << self.layers.min(16)
    }

    /// The convolutions of one forward pass at `h`×`w`: the layer schedule `init` builds.
    pub fn conv_shapes(&self, h: usize, w: usize) -> Vec<ConvShape> {
        let mut out = Vec::with_capacity(self.layers + 2);
        let mut side = [h, w];
        let mut cin = self.in_channels;
        for i in 0..=self.layers + 1 {
            let last = i == self.layers + 1;
            let cout = if last { 1 } else { self.ndf * (1 << i.min(3)) };
            // Strided layers first, then one stride-1 layer (the "C512" of the paper), then
            // the stride-1 output layer.
            let stride = if i < self.layers { 2 } else { 1 };
            let shape = ConvShape {
                name: if last {
                    "D out".to_string()
                } else {
                    format!("D {i}")
                },
                transposed: false,
                cin,
                cout,
                input: side,
                stride,
            };
            side = shape.output();
            out.push(shape);
            cin = cout;
        }
        out
    }

    /// Multiply-adds × 2 of one forward pass at `h`×`w` (convolutions only).
    /// (Every scale's PatchGAN, each on the pair halved once more.)
    pub fn flops(&self, h: usize, w: usize) -> u64 {
        (0..self.scales)
            .flat_map(|k| self.conv_shapes(h >> k, w >> k))
            .map(|shape| shape.flops())
            .sum()
    }

    /// The convolution weights of the network this config builds (see
    /// [`crate::model::GeneratorConfig::conv_weights`]).
    pub fn conv_weights(&self) -> u64 {
        let one: u64 = self
            .conv_shapes(self.min_side(), self.min_side())
            .iter()
            .map(ConvShape::weights)
            .sum();
        one * self.scales as u64
    }
}

impl Discriminator {
    /// Every scale's layers: the full scale's, then the coarser ones'.
    fn scales(&self) -> impl Iterator<Item = (&[DBlock], &Conv2d)> {
        std::iter::once((self.blocks.as_slice(), &self.out))
            .chain(self.coarse.iter().map(|p| (p.blocks.as_slice(), &p.out)))
    }

    /// Trainable parameters (BatchNorm running statistics excluded), as PyTorch counts them.
    pub fn learnable_params(&self) -> usize {
        let running: usize = self
            .scales()
            .flat_map(|(blocks, _)| blocks)
            .filter_map(|b| b.norm.as_ref())
            .map(|n| 2 * n.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }

    /// Fold running-statistics updates into the stored values (before saving).
    pub fn sync_running_stats(&self) {
        self.scales()
            .flat_map(|(blocks, _)| blocks)
            .filter_map(|b| b.norm.as_ref())
            .for_each(super::blocks::sync_norm);
    }

    /// This discriminator with fresh coarse PatchGANs (pix2pix's initialisation, on `device`)
    /// added up to `scales` in all; its own stay as they are, and it never loses any.
    pub fn grown_to(
        mut self,
        mut config: DiscriminatorConfig,
        scales: usize,
        device: &Device,
    ) -> (Self, DiscriminatorConfig) {
        while config.scales < scales {
            self.coarse.push(config.init_patch_gan(device));
            config.scales += 1;
        }
        (self, config)
    }

    /// Patch logits of the full-scale PatchGAN for (sketch, image) pairs.
    ///
    /// # Shapes
    /// `sketch`: [B, Cs, H, W], `image`: [B, Ci, H, W] → [B, 1, H/8 - 2, W/8 - 2]
    /// (30×30 at 256²)
    pub fn forward(&self, sketch: Tensor<4>, image: Tensor<4>, stats: NormStats) -> Tensor<4> {
        let pair = Tensor::cat(vec![sketch, image], 1); // [B, Cs+Ci, H, W]
        judge(&self.blocks, &self.out, pair, stats, false).logits
    }

    /// What every scale says of (sketch, image) pairs: the full scale first, then the pair
    /// halved once, twice…; with each block's output when `features` is set.
    ///
    /// # Shapes
    /// `sketch`: [B, Cs, H, W], `image`: [B, Ci, H, W] → scale k's logits
    /// [B, 1, H/2^k/8 - 2, W/2^k/8 - 2]
    pub fn judge_scales(
        &self,
        sketch: Tensor<4>,
        image: Tensor<4>,
        stats: NormStats,
        features: bool,
    ) -> Vec<Judgement> {
        let mut pair = Tensor::cat(vec![sketch, image], 1); // [B, Cs+Ci, H, W]
        let mut out = Vec::with_capacity(1 + self.coarse.len());
        for (k, (blocks, last)) in self.scales().enumerate() {
            if k > 0 {
                pair = avg_pool2d(pair, AvgPoolOptions::new([2, 2])); // [B, Cs+Ci, H/2^k, W/2^k]
            }
            out.push(judge(blocks, last, pair.clone(), stats, features));
        }
        out
    }
}

/// One PatchGAN's pass over a pair already side by side in channels.
fn judge(
    blocks: &[DBlock],
    last: &Conv2d,
    pair: Tensor<4>,
    stats: NormStats,
    keep_features: bool,
) -> Judgement {
    let mut h = pair;
    let mut features = Vec::new();
    for block in blocks {
        h = conv_forward(&block.conv, h, None);
        if let Some(norm) = &block.norm {
            h = norm_forward(norm, h, stats);
        }
        h = crate::kernels::leaky_relu(h, 0.2);
        if keep_features {
            features.push(h.clone());
        }
    }
    Judgement {
        logits: conv_forward(last, h, None),
        features,
    }
}

//! The 70×70 PatchGAN discriminator of pix2pix (Isola et al. 2017, §3.2.2, appendix 6.1.2):
//! C64-C128-C256-C512 then a 1-channel convolution, all 4×4. Each of the 30×30 logits it
//! produces for a 256² input judges one 70×70 patch of the (sketch, image) pair.

use super::blocks::{NormStats, batch_norm, conv_forward, conv_init, norm_forward};
use super::shapes::ConvShape;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, PaddingConfig2d};
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
}

/// One block: Conv(4, stride, 1) → [BatchNorm] → LeakyReLU(0.2).
#[derive(Module, Debug)]
pub struct DBlock {
    /// The convolution.
    pub conv: Conv2d,
    /// Absent on the first block.
    pub norm: Option<BatchNorm>,
}

/// The PatchGAN discriminator.
#[derive(Module, Debug)]
pub struct Discriminator {
    /// Feature blocks.
    pub blocks: Vec<DBlock>,
    /// The final 1-channel convolution producing logits.
    pub out: Conv2d,
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
        Discriminator {
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
    pub fn flops(&self, h: usize, w: usize) -> u64 {
        self.conv_shapes(h, w).iter().map(ConvShape::flops).sum()
    }

    /// The convolution weights of the network this config builds (see
    /// [`crate::model::GeneratorConfig::conv_weights`]).
    pub fn conv_weights(&self) -> u64 {
        self.conv_shapes(self.min_side(), self.min_side())
            .iter()
            .map(ConvShape::weights)
            .sum()
    }
}

impl Discriminator {
    /// Trainable parameters (BatchNorm running statistics excluded), as PyTorch counts them.
    pub fn learnable_params(&self) -> usize {
        let running: usize = self
            .blocks
            .iter()
            .filter_map(|b| b.norm.as_ref())
            .map(|n| 2 * n.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }

    /// Fold running-statistics updates into the stored values (before saving).
    pub fn sync_running_stats(&self) {
        self.blocks
            .iter()
            .filter_map(|b| b.norm.as_ref())
            .for_each(super::blocks::sync_norm);
    }

    /// Patch logits for (sketch, image) pairs.
    ///
    /// # Shapes
    /// `sketch`: [B, Cs, H, W], `image`: [B, Ci, H, W] → [B, 1, H/8 - 2, W/8 - 2]
    /// (30×30 at 256²)
    pub fn forward(&self, sketch: Tensor<4>, image: Tensor<4>, stats: NormStats) -> Tensor<4> {
        let mut h = Tensor::cat(vec![sketch, image], 1); // [B, Cs+Ci, H, W]
        for block in &self.blocks {
            h = conv_forward(&block.conv, h);
            if let Some(norm) = &block.norm {
                h = norm_forward(norm, h, stats);
            }
            h = crate::kernels::leaky_relu(h, 0.2);
        }
        conv_forward(&self.out, h)
    }
}

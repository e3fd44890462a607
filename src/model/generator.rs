//! The pix2pix U-Net generator ("unet_256"), Isola et al. 2017, §3.2.1 and appendix 6.1.1.
//!
//! Eight pre-activation encoder blocks (LeakyReLU 0.2 → Conv 4×4 stride 2 → BatchNorm) halve
//! the image down to 1×1 at 256²; eight decoder blocks (ReLU → ConvTranspose 4×4 stride 2 →
//! BatchNorm, dropout on some) double it back, each after the first taking the previous output
//! concatenated with the mirrored encoder output. The outermost decoder ends in tanh.
//!
//! The published implementations differ in small ways, and [`GeneratorConfig`] can express
//! each exactly, so their weights load unchanged:
//! - affinelayer/pix2pix-tensorflow (and the 2017 web demo): biases on every convolution,
//!   BatchNorm on the innermost encoder block, dropout on the three innermost decoders;
//! - junyanz/pytorch-CycleGAN-and-pix2pix `unet_256`: a bias only on the output convolution,
//!   no norm on the innermost encoder block, dropout on decoders 2–4 counted from the inside.

use super::blocks::{
    DropoutNoise, NormStats, batch_norm, conv_forward, conv_init, conv_transpose_forward,
    norm_forward,
};
use super::reduced::Reduced;
use super::shapes::ConvShape;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

/// Number of encoder (and decoder) blocks: 256 / 2⁸ = 1.
pub const DEPTH: usize = 8;
/// Input sides must be multiples of this (2^DEPTH); other sizes are padded.
pub const SIZE_MULTIPLE: usize = 1 << DEPTH;

/// Where the convolutions carry a bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BiasStyle {
    /// Every convolution has a bias (TensorFlow pix2pix).
    All,
    /// Only the output convolution has one (PyTorch pix2pix: none before BatchNorm, none on the
    /// first and innermost encoder convolutions either).
    OutputOnly,
}

/// Architecture of the U-Net generator; saved beside its weights.
#[derive(Config, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// Channels of the sketch (input) image.
    #[config(default = 3)]
    pub in_channels: usize,
    /// Colour-hint channels after the sketch's (RGB in [-1, 1] + a {0, 1} mask: 4), or 0 for a
    /// model without hints (every pix2pix model). See [`crate::hints`].
    #[config(default = 0)]
    pub hint_channels: usize,
    /// Channels of the generated image.
    #[config(default = 3)]
    pub out_channels: usize,
    /// Filters in the outermost layer; the paper uses 64.
    #[config(default = 64)]
    pub ngf: usize,
    /// Which convolutions carry a bias.
    #[config(default = "BiasStyle::All")]
    pub bias: BiasStyle,
    /// Whether the innermost (1×1 at 256²) encoder block has a BatchNorm.
    #[config(default = true)]
    pub innermost_encoder_norm: bool,
    /// Decoder blocks with dropout, counted from the innermost (0) outwards.
    #[config(default = "vec![0, 1, 2]")]
    pub dropout_decoders: Vec<usize>,
    /// Dropout probability where it is applied.
    #[config(default = 0.5)]
    pub dropout: f64,
    /// BatchNorm epsilon.
    #[config(default = 1e-5)]
    pub norm_epsilon: f64,
}

/// One encoder block: [LeakyReLU] → Conv(4, 2, 1) → [BatchNorm].
#[derive(Module, Debug)]
pub struct Down {
    /// The strided convolution.
    pub conv: Conv2d,
    /// Present on all blocks but the first (and, per config, the innermost).
    pub norm: Option<BatchNorm>,
}

/// One decoder block: ReLU → ConvTranspose(4, 2, 1) → BatchNorm (or tanh on the outermost).
#[derive(Module, Debug)]
pub struct Up {
    /// The strided transposed convolution.
    pub conv: ConvTranspose2d,
    /// Absent on the outermost block.
    pub norm: Option<BatchNorm>,
}

/// The U-Net generator.
#[derive(Module, Debug)]
pub struct Generator {
    /// Encoder blocks, outermost first.
    pub down: Vec<Down>,
    /// Decoder blocks, innermost first.
    pub up: Vec<Up>,
    /// Decoder blocks that apply dropout when [`Generator::forward`] is given noise (from the
    /// config; not saved with the weights, the config is).
    #[module(skip)]
    pub dropout_decoders: Vec<usize>,
}

impl GeneratorConfig {
    /// junyanz/pytorch-CycleGAN-and-pix2pix's `unet_256` with batch norm (at ngf 64).
    pub fn pytorch_unet() -> Self {
        Self::new()
            .with_bias(BiasStyle::OutputOnly)
            .with_innermost_encoder_norm(false)
            .with_dropout_decoders(vec![1, 2, 3])
    }

    /// Channels the network reads: the sketch's and the hints'.
    pub fn input_channels(&self) -> usize {
        self.in_channels + self.hint_channels
    }

    /// Build the generator with transposed convolutions initialised by ICNR (Aitken et al. 2017,
    /// "Checkerboard artifact free sub-pixel convolution"): at step 0 each decoder is a
    /// nearest-neighbour upsampling followed by a 3×3 convolution, so its four sub-pixel phases
    /// start equal and the model paints no checkerboard before it learns to.
    pub fn init_icnr(&self, device: &Device) -> Generator {
        let mut g = self.init(device);
        for up in &mut g.up {
            up.conv.weight = up.conv.weight.clone().map(super::icnr::icnr_weight);
        }
        g
    }

    /// Filters produced by encoder block `i` (0 = outermost): ngf × 1, 2, 4, 8, 8, 8, 8, 8.
    fn encoder_channels(&self, i: usize) -> usize {
        self.ngf * [1, 2, 4, 8, 8, 8, 8, 8][i]
    }

    /// Build the generator with pix2pix's initialisation (weights N(0, 0.02), γ N(1, 0.02)).
    pub fn init(&self, device: &Device) -> Generator {
        // The layer schedule is `conv_shapes`'; the size only matters to its FLOP counts.
        let shapes = self.conv_shapes(SIZE_MULTIPLE, SIZE_MULTIPLE);
        let (encoders, decoders) = shapes.split_at(DEPTH);
        let all_bias = self.bias == BiasStyle::All;
        let down = encoders
            .iter()
            .enumerate()
            .map(|(i, shape)| {
                let has_norm = i > 0 && (i < DEPTH - 1 || self.innermost_encoder_norm);
                let conv = Conv2dConfig::new([shape.cin, shape.cout], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_bias(all_bias)
                    .with_initializer(conv_init())
                    .init(device);
                let norm = has_norm.then(|| self.norm(shape.cout, device));
                Down { conv, norm }
            })
            .collect();
        let up = decoders
            .iter()
            .enumerate()
            .map(|(j, shape)| {
                let outermost = j == DEPTH - 1;
                let conv = ConvTranspose2dConfig::new([shape.cin, shape.cout], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_bias(all_bias || outermost)
                    .with_initializer(conv_init())
                    .init(device);
                let norm = (!outermost).then(|| self.norm(shape.cout, device));
                Up { conv, norm }
            })
            .collect();
        Generator {
            down,
            up,
            dropout_decoders: self.dropout_decoders.clone(),
        }
    }

    fn norm(&self, channels: usize, device: &Device) -> BatchNorm {
        let mut norm = batch_norm(channels, device);
        norm.epsilon = self.norm_epsilon;
        norm
    }

    /// The convolutions of one forward pass at `h`×`w`, encoder first: the layer schedule
    /// `init` builds (decoder `j` mirrors encoder `DEPTH − 1 − j`, reading its skip beside it).
    pub fn conv_shapes(&self, h: usize, w: usize) -> Vec<ConvShape> {
        let mut out = Vec::with_capacity(2 * DEPTH);
        let mut side = [h, w];
        let mut cin = self.input_channels();
        for i in 0..DEPTH {
            let cout = self.encoder_channels(i);
            out.push(ConvShape {
                name: format!("G enc {i}"),
                transposed: false,
                cin,
                cout,
                input: side,
                stride: 2,
            });
            side = side.map(|s| s / 2);
            cin = cout;
        }
        for j in 0..DEPTH {
            let level = DEPTH - 1 - j;
            let cin = if j == 0 {
                self.encoder_channels(level)
            } else {
                2 * self.encoder_channels(level)
            };
            let cout = if j == DEPTH - 1 {
                self.out_channels
            } else {
                self.encoder_channels(level - 1)
            };
            out.push(ConvShape {
                name: format!("G dec {j}"),
                transposed: true,
                cin,
                cout,
                input: side,
                stride: 2,
            });
            side = side.map(|s| s * 2);
        }
        out
    }

    /// Floating-point operations of one forward pass at `h`×`w` (multiply-add = 2), counting
    /// the convolutions only: what GFLOP/s figures are computed from.
    pub fn flops(&self, h: usize, w: usize) -> u64 {
        self.conv_shapes(h, w).iter().map(ConvShape::flops).sum()
    }

    /// The convolution weights of the network this config builds: what a file declaring it
    /// must hold, checked before anything is allocated.
    pub fn conv_weights(&self) -> u64 {
        self.conv_shapes(SIZE_MULTIPLE, SIZE_MULTIPLE)
            .iter()
            .map(ConvShape::weights)
            .sum()
    }
}

impl Generator {
    /// Trainable parameters (BatchNorm running statistics excluded), as PyTorch counts them.
    pub fn learnable_params(&self) -> usize {
        let running: usize = self
            .down
            .iter()
            .filter_map(|b| b.norm.as_ref())
            .chain(self.up.iter().filter_map(|b| b.norm.as_ref()))
            .map(|n| 2 * n.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }

    /// The same network taking `extra` more input channels, whose weights start at zero so it
    /// paints exactly as before (to fine-tune a model without colour hints into one with them).
    pub fn with_hint_channels(mut self, extra: usize) -> Generator {
        let first = &mut self.down[0].conv;
        first.weight = first.weight.clone().map(|w| {
            let [cout, _, kh, kw] = w.dims();
            let zeros = Tensor::<4>::zeros([cout, extra, kh, kw], &w.device());
            Tensor::cat(vec![w, zeros], 1) // [C_out, C_in + extra, 4, 4]
        });
        self
    }

    /// Fold running-statistics updates into the stored values (before saving).
    pub fn sync_running_stats(&self) {
        let norms = self.down.iter().filter_map(|d| d.norm.as_ref());
        let norms = norms.chain(self.up.iter().filter_map(|u| u.norm.as_ref()));
        norms.for_each(super::blocks::sync_norm);
    }

    /// Input channels of the first convolution (sketch + hints).
    pub fn input_channels(&self) -> usize {
        self.down[0].conv.weight.dims()[1]
    }

    /// Run the U-Net on a batch whose sides are multiples of [`SIZE_MULTIPLE`].
    ///
    /// `noise` applies dropout to the decoders the config named ([`Generator::dropout_decoders`]);
    /// `None` turns dropout off.
    /// A model with hint channels given only the sketch paints without hints (the hint
    /// channels are zero: no colour, mask 0).
    ///
    /// # Shapes
    /// `x`: [B, in_channels (+ hint_channels), H, W] in [-1, 1] → [B, out_channels, H, W] in [-1, 1]
    pub fn forward(
        &self,
        x: Tensor<4>,
        stats: NormStats,
        noise: Option<&mut DropoutNoise>,
    ) -> Tensor<4> {
        self.forward_reduced(x, stats, noise, None)
    }

    /// [`forward`](Self::forward) with the convolutions at reduced precision where `reduced`
    /// (this generator's weights quantised) is given and applies.
    pub fn forward_reduced(
        &self,
        x: Tensor<4>,
        stats: NormStats,
        mut noise: Option<&mut DropoutNoise>,
        reduced: Option<&Reduced>,
    ) -> Tensor<4> {
        let mut skips = Vec::with_capacity(DEPTH);
        let [b, c, hh, ww] = x.dims();
        let wanted = self.input_channels();
        let mut h = if c < wanted {
            let zeros = Tensor::<4>::zeros([b, wanted - c, hh, ww], &x.device());
            Tensor::cat(vec![x, zeros], 1) // [B, in + hint, H, W]
        } else {
            x
        };
        for (i, block) in self.down.iter().enumerate() {
            if i > 0 {
                h = crate::kernels::leaky_relu(h, 0.2);
            }
            h = conv_forward(&block.conv, h, reduced.map(|r| &r.down[i])); // [B, c_i, H/2^(i+1), W/2^(i+1)]
            if let Some(norm) = &block.norm {
                h = norm_forward(norm, h, stats);
            }
            skips.push(h.clone());
        }
        skips.pop(); // the innermost output is `h` itself
        for (j, block) in self.up.iter().enumerate() {
            h = if j > 0 {
                let skip = skips.pop().expect("one skip per decoder after the first");
                crate::kernels::cat_relu(h, skip) // ReLU of [B, 2c, h, w]
            } else {
                crate::kernels::leaky_relu(h, 0.0) // ReLU
            };
            h = conv_transpose_forward(&block.conv, h, reduced.map(|r| &r.up[j])); // [B, c', 2h, 2w]
            match &block.norm {
                Some(norm) => h = norm_forward(norm, h, stats),
                None => h = crate::kernels::tanh(h),
            }
            if let Some(noise) = noise.as_deref_mut()
                && self.dropout_decoders.contains(&j)
            {
                h = noise.apply(h);
            }
        }
        h
    }

    /// Run on an image of any size: pad to the next multiple of [`SIZE_MULTIPLE`] (the sketch
    /// with white, 1.0, its background; the hints with 0: no hint), run, and crop back.
    ///
    /// # Shapes
    /// `sketch`: [B, in_channels, H, W], `hints`: [B, hint_channels, H, W] →
    /// [B, out_channels, H, W]
    pub fn forward_any_size(
        &self,
        sketch: Tensor<4>,
        hints: Option<Tensor<4>>,
        stats: NormStats,
        noise: Option<&mut DropoutNoise>,
        reduced: Option<&Reduced>,
    ) -> Tensor<4> {
        use burn::tensor::ops::PadMode;
        let [_, _, h, w] = sketch.dims();
        let ph = h.div_ceil(SIZE_MULTIPLE).max(1) * SIZE_MULTIPLE - h;
        let pw = w.div_ceil(SIZE_MULTIPLE).max(1) * SIZE_MULTIPLE - w;
        let (top, left) = (ph / 2, pw / 2);
        let sides = (left, pw - left, top, ph - top);
        let padded = |t: Tensor<4>, value: f32| {
            if ph == 0 && pw == 0 {
                t
            } else {
                t.pad(sides, PadMode::Constant(value)) // [B, C, H+ph, W+pw]
            }
        };
        let x = match hints {
            Some(hints) => Tensor::cat(vec![padded(sketch, 1.0), padded(hints, 0.0)], 1),
            None => padded(sketch, 1.0),
        };
        let y = self.forward_reduced(x, stats, noise, reduced);
        if ph == 0 && pw == 0 {
            return y;
        }
        let [b, c, _, _] = y.dims();
        y.slice([0..b, 0..c, top..top + h, left..left + w])
    }
}

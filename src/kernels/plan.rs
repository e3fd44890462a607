//! One convolution layer's plan on Burn's flex tensors: its geometry from the input and weight
//! shapes and Burn's options, and its forward and backward passes on `FlexTensor`s.

use super::conv::{
    add_bias, bias_grad, gather_gemm, gather_gemm_quantized, gemm_scatter, gemm_scatter_quantized,
    weight_grad,
};
use super::flex::{contiguous, tensor, values};
use super::im2col::Geometry;
use super::quant;
use burn::backend::flex::FlexTensor;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// Which layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `y = conv(x, w)`, weight `[out, in, kh, kw]`.
    Conv,
    /// `y = conv_transpose(x, w)`, weight `[in, out, kh, kw]`.
    Transposed,
}

/// A layer's shapes, resolved once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    kind: Kind,
    batch: usize,
    /// The im2col geometry: over `x` for a convolution, over `y` for a transposed one.
    geo: Geometry,
    /// Rows of the weight matrix: output channels of a convolution, input channels of a
    /// transposed one.
    m: usize,
    x_shape: [usize; 4],
    y_shape: [usize; 4],
}

impl Plan {
    /// The plan of `conv2d(x, w, options)`, or `None` for what these kernels do not cover
    /// (groups, dilation, mismatched shapes: Burn's own op then runs and reports errors).
    pub fn conv(x: [usize; 4], w: [usize; 4], options: &ConvOptions<2>) -> Option<Self> {
        let [batch, c, h, wd] = x;
        let [o, ci, kh, kw] = w;
        if options.groups != 1 || options.dilation != [1, 1] || ci != c || kh == 0 || kw == 0 {
            return None;
        }
        let [(top, bottom), (left, right)] = options.padding;
        let [sy, sx] = options.stride;
        if sy == 0 || sx == 0 || h + top + bottom < kh || wd + left + right < kw {
            return None;
        }
        let out = [
            (h + top + bottom - kh) / sy + 1,
            (wd + left + right - kw) / sx + 1,
        ];
        let geo = Geometry {
            channels: c,
            height: h,
            width: wd,
            kernel: [kh, kw],
            stride: [sy, sx],
            pad: [top, left],
            out,
        };
        Some(Self {
            kind: Kind::Conv,
            batch,
            geo,
            m: o,
            x_shape: x,
            y_shape: [batch, o, out[0], out[1]],
        })
    }

    /// The plan of `conv_transpose2d(x, w, options)`, or `None` (see [`Plan::conv`]).
    pub fn transposed(
        x: [usize; 4],
        w: [usize; 4],
        options: &ConvTransposeOptions<2>,
    ) -> Option<Self> {
        let [batch, c, h, wd] = x;
        let [ci, o, kh, kw] = w;
        if options.groups != 1 || options.dilation != [1, 1] || ci != c || kh == 0 || kw == 0 {
            return None;
        }
        let [sy, sx] = options.stride;
        let [py, px] = options.padding;
        let [qy, qx] = options.padding_out;
        if sy == 0 || sx == 0 || h == 0 || wd == 0 || qy >= sy || qx >= sx {
            return None;
        }
        // (H − 1)·s + k + padding_out − 2·padding, when positive.
        let full_h = (h - 1) * sy + kh + qy;
        let full_w = (wd - 1) * sx + kw + qx;
        if full_h <= 2 * py || full_w <= 2 * px {
            return None;
        }
        let (oh, ow) = (full_h - 2 * py, full_w - 2 * px);
        let geo = Geometry {
            channels: o,
            height: oh,
            width: ow,
            kernel: [kh, kw],
            stride: [sy, sx],
            pad: [py, px],
            out: [h, wd],
        };
        Some(Self {
            kind: Kind::Transposed,
            batch,
            geo,
            m: c,
            x_shape: x,
            y_shape: [batch, o, oh, ow],
        })
    }

    /// Output channels (the bias's length).
    fn out_channels(&self) -> usize {
        self.y_shape[1]
    }

    /// `y = layer(x) + bias`.
    pub fn forward(&self, x: &FlexTensor, w: &FlexTensor, bias: Option<&FlexTensor>) -> FlexTensor {
        let (x, w) = (contiguous(x), contiguous(w));
        let (xs, ws) = (values(&x), values(&w));
        let mut y = match self.kind {
            Kind::Conv => gather_gemm(xs, self.batch, &self.geo, ws, self.m),
            Kind::Transposed => gemm_scatter(xs, self.batch, &self.geo, ws, self.m),
        };
        if let Some(b) = bias {
            let b = contiguous(b);
            add_bias(&mut y, values(&b), self.y_shape[2] * self.y_shape[3]);
        }
        tensor(y, &self.y_shape)
    }

    /// `y = layer(x) + bias` with the weight quantised by [`quantize`] (reduced precision);
    /// `None` when `x` holds a value that is not finite.
    pub fn forward_quantized(
        &self,
        x: &FlexTensor,
        w: &quant::Weights,
        bias: Option<&FlexTensor>,
    ) -> Option<FlexTensor> {
        let x = contiguous(x);
        let xs = values(&x);
        let mut y = match self.kind {
            Kind::Conv => gather_gemm_quantized(xs, self.batch, &self.geo, w)?,
            Kind::Transposed => gemm_scatter_quantized(xs, self.batch, &self.geo, w)?,
        };
        if let Some(b) = bias {
            let b = contiguous(b);
            add_bias(&mut y, values(&b), self.y_shape[2] * self.y_shape[3]);
        }
        Some(tensor(y, &self.y_shape))
    }

    /// The input gradient from the output gradient `dy`.
    pub fn backward_x(&self, dy: &FlexTensor, w: &FlexTensor) -> FlexTensor {
        let (dy, w) = (contiguous(dy), contiguous(w));
        let (ds, ws) = (values(&dy), values(&w));
        let dx = match self.kind {
            Kind::Conv => gemm_scatter(ds, self.batch, &self.geo, ws, self.m),
            Kind::Transposed => gather_gemm(ds, self.batch, &self.geo, ws, self.m),
        };
        tensor(dx, &self.x_shape)
    }

    /// The weight gradient from the input `x` and the output gradient `dy`.
    pub fn backward_w(&self, x: &FlexTensor, dy: &FlexTensor, w_shape: [usize; 4]) -> FlexTensor {
        let (x, dy) = (contiguous(x), contiguous(dy));
        let (xs, ds) = (values(&x), values(&dy));
        let dw = match self.kind {
            Kind::Conv => weight_grad(ds, xs, self.batch, &self.geo, self.m),
            Kind::Transposed => weight_grad(xs, ds, self.batch, &self.geo, self.m),
        };
        tensor(dw, &w_shape)
    }

    /// The bias gradient from the output gradient `dy`.
    pub fn backward_bias(&self, dy: &FlexTensor) -> FlexTensor {
        let dy = contiguous(dy);
        let plane = self.y_shape[2] * self.y_shape[3];
        let db = bias_grad(values(&dy), self.out_channels(), plane);
        let len = db.len();
        tensor(db, &[len])
    }
}

/// A layer's weight (`[out, in, kh, kw]` for a convolution, `[in, out, kh, kw]` for a
/// transposed one) quantised as its forward pass multiplies it: the weight matrix itself for a
/// convolution, its transpose for a transposed one. `None` for a weight with a value that is
/// not finite.
pub fn quantize(kind: Kind, w: &FlexTensor, dims: [usize; 4]) -> Option<quant::Weights> {
    let w = contiguous(w);
    let ws = values(&w);
    let [a, b, kh, kw] = dims;
    match kind {
        // [out, in·kh·kw], row by row.
        Kind::Conv => quant::Weights::new(ws, [a, b * kh * kw], (b * kh * kw, 1)),
        // [in, out·kh·kw] read as its transpose.
        Kind::Transposed => {
            let rows = b * kh * kw;
            quant::Weights::new(ws, [rows, a], (1, rows))
        }
    }
}

//! ICNR initialisation of the decoders' transposed convolutions (Aitken et al. 2017,
//! "Checkerboard artifact free sub-pixel convolution", arXiv:1707.02937).
//!
//! A 4×4, stride-2, padding-1 transposed convolution computes each output phase (even or odd
//! row, even or odd column) from its own 2×2 subset of the kernel. Drawn independently, the four
//! subsets give four different filters, and the output carries a period-2 checkerboard from
//! step 0 that training must then remove. Here the 4×4 kernel is built from a 3×3 kernel `a`
//! so that the layer equals nearest-neighbour upsampling followed by a 3×3 convolution with
//! `a` (cross-correlation, padding 1): per axis, the taps are
//! `K[0] = a[2], K[1] = a[1] + a[2], K[2] = a[0] + a[1], K[3] = a[0]`
//! (output row 2m reads input rows m−1 and m through K[3], K[1]; row 2m+1 reads m and m+1
//! through K[2], K[0]). The layer keeps its shape, so the model stays a PyTorch `unet_256`.

use burn::tensor::{Distribution, Tensor, TensorData};

/// Which 3-tap entries sum into each of the 4 taps along one axis.
const TAPS: [&[usize]; 4] = [&[2], &[1, 2], &[0, 1], &[0]];

/// Standard deviation of the 3×3 kernel: a pix2pix output pixel sums 2×2 taps of N(0, 0.02);
/// an ICNR one sums 3×3 taps of the kernel, so 0.02 · 2/3 keeps the output variance.
const STD: f64 = 0.02 * 2.0 / 3.0;

/// Expand 3×3 kernels into the equivalent 4×4 transposed-convolution kernels.
///
/// # Shapes
/// `a`: [C_in, C_out, 3, 3] → [C_in, C_out, 4, 4]
pub fn expand(a: Tensor<4>) -> Tensor<4> {
    let [ci, co, _, _] = a.dims();
    let device = a.device();
    let a: Vec<f32> = a
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 after convert");
    let mut k = vec![0f32; ci * co * 16];
    for (src, dst) in a.chunks_exact(9).zip(k.chunks_exact_mut(16)) {
        for (ky, rows) in TAPS.iter().enumerate() {
            for (kx, cols) in TAPS.iter().enumerate() {
                dst[ky * 4 + kx] = rows
                    .iter()
                    .flat_map(|&u| cols.iter().map(move |&v| src[u * 3 + v]))
                    .sum();
            }
        }
    }
    Tensor::from_data(TensorData::new(k, [ci, co, 4, 4]), &device)
}

/// A new ICNR weight shaped like `w` (a 4×4 transposed-convolution weight), drawn on its device.
///
/// # Shapes
/// `w`: [C_in, C_out, 4, 4] → [C_in, C_out, 4, 4]
pub fn icnr_weight(w: Tensor<4>) -> Tensor<4> {
    let [ci, co, kh, kw] = w.dims();
    debug_assert_eq!((kh, kw), (4, 4), "ICNR is defined here for 4×4 kernels");
    let a = Tensor::<4>::random([ci, co, 3, 3], Distribution::Normal(0.0, STD), &w.device());
    expand(a)
}

/// Project a 4×4 stride-2 transposed-convolution kernel onto the ICNR form, keeping its four
/// sub-pixel phases tied for the whole of training, not only at the start.
///
/// The kernels of the form `M a Mᵀ` above are exactly those with no component along
/// `v = (1, −1, 1, −1)` on either axis (the alternating, checkerboard mode: `Mᵀv = 0`), so the
/// orthogonal projection is `P K P` with `P = I − v vᵀ / 4`. Applied after every optimiser step,
/// it keeps each decoder a nearest-neighbour upsampling followed by a 3×3 convolution (Odena et
/// al. 2016's resize-convolution) while the file still holds a plain `unet_256` weight.
///
/// # Shapes
/// `w`: [C_in, C_out, 4, 4] → [C_in, C_out, 4, 4]
pub fn tie_phases(w: Tensor<4>) -> Tensor<4> {
    let [_, _, kh, kw] = w.dims();
    if (kh, kw) == (4, 4) {
        // On the CPU one pass over the kernels (Burn's broadcasting ops run one thread each,
        // about 8 passes: a tenth of a training step).
        match crate::kernels::update_values(w, None, 16 * 1024, |k, _| {
            k.chunks_exact_mut(16).for_each(project)
        }) {
            Ok(tied) => return tied,
            Err(w) => return tie_phases_with_ops(w),
        }
    }
    tie_phases_with_ops(w)
}

/// [`tie_phases`] of one 4×4 kernel (row-major), in the order of [`tie_phases_with_ops`]: the
/// alternating component along y removed first, then along x.
fn project(k: &mut [f32]) {
    const V: [f32; 4] = [1.0, -1.0, 1.0, -1.0];
    for x in 0..4 {
        let along_y: f32 = (0..4).map(|y| k[y * 4 + x] * V[y]).sum();
        (0..4).for_each(|y| k[y * 4 + x] -= V[y] * (along_y / 4.0));
    }
    for y in 0..4 {
        let along_x: f32 = (0..4).map(|x| k[y * 4 + x] * V[x]).sum();
        (0..4).for_each(|x| k[y * 4 + x] -= V[x] * (along_x / 4.0));
    }
}

/// [`tie_phases`] with Burn's tensor ops (any device, any kernel shape's 4×4 trailing dims).
fn tie_phases_with_ops(w: Tensor<4>) -> Tensor<4> {
    let device = w.device();
    let alternating = |shape: [usize; 4]| {
        Tensor::<4>::from_data(TensorData::new(vec![1f32, -1.0, 1.0, -1.0], shape), &device)
    };
    let (vy, vx) = (alternating([1, 1, 4, 1]), alternating([1, 1, 1, 4]));
    let along_y = (w.clone() * vy.clone()).sum_dim(2); // [C_in, C_out, 1, 4]
    let w = w - vy * along_y / 4.0;
    let along_x = (w.clone() * vx.clone()).sum_dim(3); // [C_in, C_out, 4, 1]
    w - vx * along_x / 4.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn the_cpu_pass_equals_the_tensor_ops() {
        let device = Device::flex();
        let w = crate::model::seeded::seeded(&device, 5, || {
            Tensor::<4>::random([3, 5, 4, 4], Distribution::Normal(0.0, 1.0), &device)
        });
        let fast = tie_phases(w.clone()).into_data().convert::<f32>();
        let ops = tie_phases_with_ops(w).into_data().convert::<f32>();
        let (a, b) = (
            fast.try_to_vec::<f32>().expect("f32"),
            ops.try_to_vec::<f32>().expect("f32"),
        );
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(worst <= 1e-6, "differ by {worst}");
        // And under autodiff, where training calls it.
        let ad = device.autodiff();
        let wa = Tensor::<4>::from_data(ops.clone(), &ad);
        let again = tie_phases(wa).inner().into_data().convert::<f32>();
        let again = again.try_to_vec::<f32>().expect("f32");
        let worst = again
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= 1e-6,
            "projection not idempotent under autodiff: {worst}"
        );
    }
}

//! Exactness of the quantised product and the ranges it keeps.

use super::pack::round;
use super::*;

fn values(len: usize, seed: u32) -> Vec<f32> {
    (0..len)
        .map(|i| {
            let h = (i as u32 ^ seed)
                .wrapping_mul(2_654_435_761)
                .rotate_left(13);
            (h % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// The product from the same quantised integers, summed one by one: the kernel must equal
/// it exactly (integer sums), and be near the fp32 product (quantisation only).
#[test]
fn equals_the_integer_product_at_every_remainder_and_nears_fp32() {
    if !available() {
        eprintln!("no AVX2 here: the quantised path is not used on this CPU");
        return;
    }
    for &(m, k, n) in &[
        (1, 1, 1),
        (16, 2, 6),
        (17, 3, 7),
        (33, 48, 100),
        (64, 257, 13),
        (5, 96, 200),
    ] {
        for transposed in [false, true] {
            let w = values(m * k, 3 + m as u32);
            let x = values(k * (n + 3), 7 + k as u32);
            let (ld, strides) = if transposed {
                (n + 3, (1, m))
            } else {
                (n + 3, (k, 1))
            };
            let weights = Weights::new(&w, [m, k], strides).expect("finite");
            let step = activation_step(&x, k).expect("finite");
            let packed = pack_activations(&x, ld, [k, n], step);
            let mut dst = vec![f32::NAN; m * n];
            product(&mut dst, &weights, &packed, n, step);
            let wv = |r: usize, c: usize| w[r * strides.0 + c * strides.1];
            for r in 0..m {
                let s = weights.scales[r];
                let inverse = if s > 0.0 { 1.0 / s } else { 0.0 };
                for j in 0..n {
                    let mut sum = 0i64;
                    let mut exact = 0.0f64;
                    for c in 0..k {
                        let xv = x[c * ld + j];
                        sum += round(wv(r, c) * inverse) as i64 * round(xv / step) as i64;
                        exact += wv(r, c) as f64 * xv as f64;
                    }
                    let expected = sum as f32 * (s * step);
                    let got = dst[r * n + j];
                    assert!(
                        (got - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                        "{m}×{k}×{n} ({r}, {j}): {got} vs integers {expected}"
                    );
                    // Rounding both sides: at most half a step of each per term.
                    let bound = k as f64 * (0.5 * s as f64 * 1.0 + 0.5 * step as f64 * 1.0);
                    assert!(
                        (got as f64 - exact).abs() <= bound + 1e-4,
                        "{got} vs fp32 {exact}"
                    );
                }
            }
        }
    }
}

#[test]
fn sums_stay_in_range_at_the_widest_layers() {
    let k = 16_384;
    let step = activation_step(&[1.0], k).expect("finite");
    let top = (1.0 / step).round() as i64;
    assert!(k as i64 * 127 * top < i32::MAX as i64, "top {top}");
    assert!(activation_step(&[f32::NAN], 4).is_none());
    assert!(activation_step(&[1.0, f32::NEG_INFINITY], 4).is_none());
    assert_eq!(activation_step(&[1e-40, -3e-39], 4), Some(1.0));
    assert_eq!(activation_step(&[0.0; 9], 4), Some(1.0));
    assert!(Weights::new(&[1.0, f32::INFINITY], [1, 2], (2, 1)).is_none());
    let tiny = Weights::new(&[1e-40, -2e-39, 0.5, -1.0], [2, 2], (2, 1)).expect("finite");
    assert_eq!(tiny.scales[0], 0.0);
    assert!(
        tiny.packed.iter().all(|&q| q.abs() <= 127),
        "{:?}",
        tiny.packed
    );
}

//! The matrix product against a plain triple loop, on every path and shape class.

use super::*;

fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
        }
    }
    c
}

#[test]
fn products_and_transposed_views_match_the_definition() {
    let (m, k, n) = (5, 7, 3);
    let a: Vec<f32> = (0..m * k).map(|i| i as f32 * 0.5 - 3.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| 2.0 - i as f32 * 0.25).collect();
    let want = naive(&a, &b, m, k, n);
    let mut c = vec![f32::NAN; m * n];
    matmul(
        &mut c,
        View::row_major(&a, m, k),
        View::row_major(&b, k, n),
        false,
    );
    assert_eq!(c, want);
    // (bᵀ aᵀ)ᵀ = a b: compute bᵀ·aᵀ from transposed views of the same storage.
    let mut ct = vec![0.0; n * m];
    matmul(
        &mut ct,
        View::row_major(&b, k, n).t(),
        View::row_major(&a, m, k).t(),
        false,
    );
    for i in 0..m {
        for j in 0..n {
            assert_eq!(ct[j * m + i], want[i * n + j]);
        }
    }
    // Split along the inner dimension: the same product.
    let (m2, k2, n2) = (3, 5000, 4);
    let a2: Vec<f32> = (0..m2 * k2)
        .map(|i| ((i % 13) as f32 - 6.0) * 0.1)
        .collect();
    let b2: Vec<f32> = (0..k2 * n2).map(|i| ((i % 7) as f32 - 3.0) * 0.2).collect();
    let want2 = naive(&a2, &b2, m2, k2, n2);
    let mut c2 = vec![f32::NAN; m2 * n2];
    matmul_split_inner(
        &mut c2,
        View::row_major(&a2, m2, k2),
        View::row_major(&b2, k2, n2),
        false,
    );
    for (got, w) in c2.iter().zip(&want2) {
        assert!((got - w).abs() <= 1e-3 * w.abs().max(1.0), "{got} vs {w}");
    }
    // Tall and narrow: computed column-major, then transposed (and accumulated).
    let (m3, k3, n3) = (130, 40, 3);
    // `a3t` holds a3 transposed: `a3` is column-major, the layout that path takes.
    let a3t: Vec<f32> = (0..k3 * m3)
        .map(|i| ((i % 11) as f32 - 5.0) * 0.1)
        .collect();
    let a3: Vec<f32> = (0..m3 * k3).map(|i| a3t[(i % k3) * m3 + i / k3]).collect();
    let b3: Vec<f32> = (0..k3 * n3).map(|i| ((i % 5) as f32 - 2.0) * 0.3).collect();
    let want3 = naive(&a3, &b3, m3, k3, n3);
    let mut c3 = vec![1.0; m3 * n3];
    matmul(
        &mut c3,
        View::row_major(&a3t, k3, m3).t(),
        View::row_major(&b3, k3, n3),
        true,
    );
    for (got, w) in c3.iter().zip(&want3) {
        assert!(
            (got - (w + 1.0)).abs() <= 1e-4 * w.abs().max(1.0),
            "{got} vs {w}"
        );
    }
    // Accumulation adds onto what is there.
    matmul(
        &mut c,
        View::row_major(&a, m, k),
        View::row_major(&b, k, n),
        true,
    );
    for (got, w) in c.iter().zip(&want) {
        assert_eq!(*got, 2.0 * w);
    }
}

//! A safe front to the `gemm` crate: strided matrix views checked against their slices, and
//! the choice of threads by size.

/// A read-only matrix view: element `(i, j)` is `data[i · row_stride + j · col_stride]`.
/// Transposing a view is swapping its strides, so no GEMM here ever copies an operand.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// The row-major `rows × cols` matrix stored in `data`.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix data does not match its shape"
        );
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transposed matrix (no copy).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            data: self.data,
        }
    }
}

/// Below this many multiply-adds one thread is faster than waking the pool.
const PARALLEL_FROM: usize = 48 * 48 * 48;

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`; `dst` is row-major
/// `lhs.rows × rhs.cols`.
///
/// # Panics
/// When the shapes do not chain or `dst` has the wrong length (a bug in the caller).
pub fn matmul(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let threads = if m * n * k >= PARALLEL_FROM {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `View::row_major` ties each view to a slice holding every index its strides reach
    // (the largest is (rows−1)·row_stride + (cols−1)·col_stride < len, preserved by `t`), `dst`
    // holds m·n elements at row stride n, and `dst` cannot alias the views (it is `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            threads,
        );
    }
}

#[cfg(test)]
mod tests {
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
}

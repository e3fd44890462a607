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

    /// Columns `start..start + len` (no copy).
    pub fn columns(self, start: usize, len: usize) -> Self {
        assert!(start + len <= self.cols, "column range outside the matrix");
        let offset = if len == 0 { 0 } else { start * self.col_stride };
        Self {
            data: &self.data[offset..],
            cols: len,
            ..self
        }
    }

    /// Rows `start..start + len` (no copy).
    pub fn rows(self, start: usize, len: usize) -> Self {
        self.t().columns(start, len).t()
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
    if n <= PANEL_COLUMNS
        && m >= MANY_ROWS
        && lhs.row_stride == 1
        && lhs.col_stride >= m
        && rhs.col_stride == 1
        && super::panels::available()
    {
        let (w, x) = ((lhs.data, lhs.col_stride), (rhs.data, rhs.row_stride));
        return super::panels::product_t(dst, w, x, [m, k, n], accumulate);
    }
    if n < FEW_COLUMNS && m >= MANY_ROWS && lhs.row_stride == 1 {
        return few_columns(dst, lhs, rhs, accumulate, threads);
    }
    if n <= DOT_COLUMNS
        && m >= MANY_ROWS
        && k >= DOT_DEPTH
        && lhs.col_stride == 1
        && lhs.row_stride == k
        && super::dot::available()
    {
        return dot_columns(dst, lhs, rhs, accumulate);
    }
    run(dst, lhs, rhs, accumulate, threads);
}

/// A product with a column-major left side (a transposed weight) and at most this many columns
/// is computed panel by panel (see [`super::panels`]) where the CPU runs that code.
const PANEL_COLUMNS: usize = 96;

/// Elsewhere, a product this narrow (`n` below this) ...
const FEW_COLUMNS: usize = 32;
/// ... and this tall is computed column-major (see [`few_columns`]).
const MANY_ROWS: usize = 64;

/// `dst = lhs · rhs` (or `+=`) for a tall product with a few columns: the innermost layers of
/// the U-Net at 1, 4 or 16 pixels. `gemm` vectorises along the destination's contiguous
/// direction, which for a row-major `m × n` destination is the short `n`: most SIMD lanes
/// would idle. So the product is computed into a column-major scratch (vectorised along the
/// long `m`) and transposed into `dst`, which at these sizes costs next to nothing. Only for a
/// column-major `lhs` (a transposed weight: the decoder's forward pass, the encoder's input
/// gradient), which `gemm` then reads in place; a row-major one it would repack on every
/// call, measured 6× slower at 4 pixels than leaving the product as it is.
fn few_columns(
    dst: &mut [f32],
    lhs: View<'_>,
    rhs: View<'_>,
    accumulate: bool,
    threads: gemm::Parallelism,
) {
    let (m, n) = (lhs.rows, rhs.cols);
    with_scratch(m * n, |scratch| {
        // SAFETY: the views are in bounds (see `run`); `scratch` holds m·n elements at column
        // stride m and cannot alias them (it is `&mut`).
        unsafe {
            product(
                scratch.as_mut_ptr(),
                [m as isize, 1],
                false,
                lhs,
                rhs,
                threads,
            )
        };
        for (i, row) in dst.chunks_exact_mut(n).enumerate() {
            for (j, d) in row.iter_mut().enumerate() {
                let v = scratch[j * m + i];
                *d = if accumulate { *d + v } else { v };
            }
        }
    });
}

/// A product with a row-major left side, at most this many columns ...
const DOT_COLUMNS: usize = 16;
/// ... and an inner dimension this long is computed as dot products (see [`dot_columns`]).
const DOT_DEPTH: usize = 256;

/// `dst = lhs · rhs` (or `+=`) for a tall product with a few columns and a row-major `lhs`
/// (a convolution weight: the encoder's forward pass, the decoder's input gradient at its
/// innermost layers): `rhs` is transposed into a scratch and the rows multiplied in place by
/// [`super::dot::rows_dot`], without packing the weight.
fn dot_columns(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    with_scratch(n * k, |xt| {
        for (j, row) in xt.chunks_exact_mut(k).enumerate() {
            let column = rhs.columns(j, 1);
            for (l, v) in row.iter_mut().enumerate() {
                *v = column.data[l * column.row_stride];
            }
        }
        super::dot::rows_dot(dst, &lhs.data[..m * k], xt, [m, k, n], accumulate);
    });
}

thread_local! {
    /// The scratch of [`few_columns`] and [`dot_columns`], reused between calls.
    static FEW_COLUMNS_SCRATCH: std::cell::RefCell<Vec<f32>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's scratch, grown to `len` (contents unspecified).
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    super::scratch::with_buffer(&FEW_COLUMNS_SCRATCH, len, f)
}

/// `dst = lhs · rhs` (or `+=`) for a small product over a long inner dimension, the shape of
/// every weight gradient (output channels × kernel taps, summed over all pixels): the `gemm`
/// crate threads over the output's blocks, of which such a product has one or two, so here
/// the inner dimension is split between the threads instead and the partial products summed.
pub fn matmul_split_inner(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>, accumulate: bool) {
    use rayon::prelude::*;
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    let threads = rayon::current_num_threads();
    let small_output = m * n <= SPLIT_INNER_MAX_OUTPUT;
    if threads < 2 || !small_output || k < SPLIT_INNER_MIN_DEPTH {
        return matmul(dst, lhs, rhs, accumulate);
    }
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    let chunk = k.div_ceil(threads);
    let partials: Vec<Vec<f32>> = (0..threads)
        .into_par_iter()
        .map(|t| {
            let start = (t * chunk).min(k);
            let len = chunk.min(k - start);
            let mut part = vec![0.0; m * n];
            if len > 0 {
                single(&mut part, lhs.columns(start, len), rhs.rows(start, len));
            }
            part
        })
        .collect();
    if !accumulate {
        dst.fill(0.0);
    }
    for part in partials {
        for (d, p) in dst.iter_mut().zip(part) {
            *d += p;
        }
    }
}

/// Products with at most this many outputs are split along their inner dimension.
const SPLIT_INNER_MAX_OUTPUT: usize = 256 * 1024;
/// ... when that dimension is at least this long.
const SPLIT_INNER_MIN_DEPTH: usize = 1024;

/// A row-major matrix that several threads fill at once, each its own block of columns
/// (see [`matmul_block`]).
#[derive(Clone, Copy)]
pub struct SharedDst<'a> {
    ptr: *mut f32,
    len: usize,
    row_stride: usize,
    _borrow: std::marker::PhantomData<&'a mut [f32]>,
}

// SAFETY: a `SharedDst` is only written through `matmul_block`, whose callers promise that
// concurrent calls write disjoint elements; the borrow it was made from outlives it.
unsafe impl Send for SharedDst<'_> {}
unsafe impl Sync for SharedDst<'_> {}

impl<'a> SharedDst<'a> {
    /// The matrix stored in `dst` with rows `row_stride` apart.
    pub fn new(dst: &'a mut [f32], row_stride: usize) -> Self {
        Self {
            ptr: dst.as_mut_ptr(),
            len: dst.len(),
            row_stride,
            _borrow: std::marker::PhantomData,
        }
    }
}

/// `dst[offset + i · row_stride + j] = (lhs · rhs)[i, j]` on this thread.
///
/// # Safety
/// No other thread may read or write the elements this call writes while it runs (blocks of
/// different columns or different offsets that do not overlap).
///
/// # Panics
/// When the block reaches outside `dst` or the shapes do not chain.
pub unsafe fn matmul_block(dst: SharedDst<'_>, offset: usize, lhs: View<'_>, rhs: View<'_>) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert!(n <= dst.row_stride, "block wider than its matrix");
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        offset + (m - 1) * dst.row_stride + n <= dst.len,
        "block outside its matrix"
    );
    // SAFETY: the views are in bounds (see `run`), the block is inside `dst` (checked above)
    // and, by this function's contract, no other thread touches it.
    unsafe {
        product(
            dst.ptr.add(offset),
            [1, dst.row_stride as isize],
            false,
            lhs,
            rhs,
            gemm::Parallelism::None,
        )
    };
}

/// `dst = lhs · rhs` on this thread only.
fn single(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>) {
    run(dst, lhs, rhs, false, gemm::Parallelism::None);
}

/// `dst += lhs · rhs` on this thread only (for callers that share the work out themselves).
///
/// # Panics
/// When the shapes do not chain or `dst` has the wrong length (a bug in the caller).
pub fn matmul_add_here(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    run(dst, lhs, rhs, true, gemm::Parallelism::None);
}

/// The `gemm` call behind [`matmul`] and [`single`]; shapes checked by the callers.
fn run(
    dst: &mut [f32],
    lhs: View<'_>,
    rhs: View<'_>,
    accumulate: bool,
    threads: gemm::Parallelism,
) {
    let n = rhs.cols;
    // SAFETY: `View::row_major` ties each view to a slice holding every index its strides reach
    // (the largest is (rows−1)·row_stride + (cols−1)·col_stride < len, which `t`, `columns` and
    // `rows` preserve), `dst` holds m·n elements at row stride n, and `dst` cannot alias the
    // views (it is `&mut`).
    unsafe {
        product(
            dst.as_mut_ptr(),
            [1, n as isize],
            accumulate,
            lhs,
            rhs,
            threads,
        )
    };
}

/// The one `gemm::gemm` call: `dst = lhs · rhs` (or `+=`), `dst` element `(i, j)` at
/// `i · strides[1] + j · strides[0]` (column stride first, as `gemm` takes them).
///
/// # Safety
/// `dst` must be valid for writes (and reads, when `accumulate`) at every element of the
/// `lhs.rows × rhs.cols` product, not alias the views, and the shapes must chain.
unsafe fn product(
    dst: *mut f32,
    strides: [isize; 2],
    accumulate: bool,
    lhs: View<'_>,
    rhs: View<'_>,
    threads: gemm::Parallelism,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    // SAFETY: the caller's contract; the views stay within their slices (see `View`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            strides[0],
            strides[1],
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
mod tests;

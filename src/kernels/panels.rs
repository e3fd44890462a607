//! `dst = wᵀ · x` for a row-major weight `w` (`k × m`) read as its transpose and a right side
//! of few columns: the transposed convolutions' forward pass at the U-Net's inner layers (the
//! decoder at 1 to 64 pixels against weights of 4–8 MB) and the convolutions' input gradient
//! there.
//!
//! `gemm` computes these at 3–40 GFLOP/s on an AVX2 core pair where it reaches 70 on square
//! products: it vectorises along the destination's short side or, with the operands swapped,
//! repacks the right side for every few rows. Here the product is cut into panels of 64
//! destination rows, one per task: the panel's slice of `w` (64 contiguous values of each of
//! its `k` rows, a block of the inner dimension at a time) is packed once into the thread's
//! cache, 16 rows apart, and multiplied with every column of `x` by a 16 × 6 register tile
//! (12 accumulators of 8 lanes, 2 weight vectors, 1 broadcast: 15 of the 16 AVX registers).
//! So the weight streams from memory exactly once, at the memory's speed, and the arithmetic
//! runs from L1.
//!
//! AVX2 + FMA, detected at run time; elsewhere these products stay with `gemm`.

use rayon::prelude::*;

/// Destination rows per task (4 cache lines of each weight row).
const PANEL: usize = 64;
/// Rows of one register tile: two 8-lane vectors.
const TILE_ROWS: usize = 16;
/// Columns of one register tile.
const TILE_COLS: usize = 6;
/// The inner dimension per packed block: a tile's slice (16 KB) stays in L1, the panel's
/// (64 KB) in L2.
const DEPTH: usize = 256;

/// Whether this CPU runs [`product_t`].
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The instructions [`product_t`] runs on this CPU, for `bench` to print.
pub fn instruction_set() -> &'static str {
    if available() {
        "AVX2 + FMA"
    } else {
        "none (the GEMM path instead)"
    }
}

thread_local! {
    /// A task's packed weight block, reused between calls.
    static PACKED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `dst = wᵀ · x` (or `+=` when `accumulate`): `w` holds the `k × m` matrix at row stride
/// `w_ld` (≥ m), `x` the `k × n` one at row stride `x_ld` (≥ n), `dst` is row-major `m × n`.
///
/// # Panics
/// When a slice is too short for its shape (a bug in the caller), or on a CPU without AVX2
/// and FMA ([`available`] says).
pub fn product_t(
    dst: &mut [f32],
    (w, w_ld): (&[f32], usize),
    (x, x_ld): (&[f32], usize),
    [m, k, n]: [usize; 3],
    accumulate: bool,
) {
    assert!(
        available(),
        "product_t needs AVX2 and FMA (see `available`)"
    );
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    assert!(w_ld >= m && x_ld >= n, "row strides shorter than rows");
    assert!(
        k == 0 || (w.len() >= (k - 1) * w_ld + m && x.len() >= (k - 1) * x_ld + n),
        "operands shorter than their shapes"
    );
    if !accumulate {
        dst.fill(0.0);
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    if n <= STREAM_COLUMNS && m >= STREAM_MIN_ROWS {
        return stream(dst, (w, w_ld), (x, x_ld), [m, k, n]);
    }
    // `x` in strips of 6 columns, each strip's rows contiguous (the tiles read it in order).
    let strips = pack_columns(x, x_ld, k, n);
    dst.par_chunks_mut(PANEL * n)
        .enumerate()
        .for_each(|(p, dst)| {
            let r0 = p * PANEL;
            let rows = dst.len() / n;
            super::scratch::with_buffer(&PACKED, PANEL * DEPTH, |packed| {
                for c0 in (0..k).step_by(DEPTH) {
                    let depth = DEPTH.min(k - c0);
                    pack(packed, &w[c0 * w_ld + r0..], w_ld, rows, depth);
                    for t in (0..rows).step_by(TILE_ROWS) {
                        let tile_rows = TILE_ROWS.min(rows - t);
                        let a = &packed[t * depth..(t + TILE_ROWS) * depth];
                        for j in (0..n).step_by(TILE_COLS) {
                            let cols = TILE_COLS.min(n - j);
                            let strip = &strips[(j * k + c0 * TILE_COLS)..];
                            let tile = x86::tile(a, strip, TILE_COLS, depth, cols);
                            for (i, row) in dst[t * n..].chunks_mut(n).take(tile_rows).enumerate() {
                                for (d, col) in row[j..j + cols].iter_mut().zip(&tile) {
                                    *d += col[i];
                                }
                            }
                        }
                    }
                }
            });
        });
}

/// Products of at most this many columns (the 1- and 2-pixel layers) only stream the weight
/// (see [`stream`]) ...
const STREAM_COLUMNS: usize = 4;
/// ... when the weight rows are at least this long.
const STREAM_MIN_ROWS: usize = 64;

/// `dst += wᵀ · x` for a product that does 1–4 multiply-adds per weight value: memory-bound, so
/// the weight is read in the order it is stored. Each thread takes a run of whole weight rows
/// and adds `x[c, j] · w[c, :]` into its own column-major sum (4 rows at a time, in cache); the
/// sums are added at the end. Panels read 256 bytes of every row in turn, which the memory
/// served at a third of its streaming speed (dec 1 at ngf 64: 32 MB in 5.7 ms).
fn stream(
    dst: &mut [f32],
    (w, w_ld): (&[f32], usize),
    (x, x_ld): (&[f32], usize),
    [m, k, n]: [usize; 3],
) {
    let threads = rayon::current_num_threads().max(1);
    let chunk = k.div_ceil(threads);
    let partials: Vec<Vec<f32>> = (0..threads)
        .into_par_iter()
        .map(|t| {
            let rows = (t * chunk).min(k)..((t + 1) * chunk).min(k);
            let mut sum = vec![0.0; n * m];
            let row = |c: usize| &w[c * w_ld..c * w_ld + m];
            let xs = |c: usize| &x[c * x_ld..c * x_ld + n];
            let mut c = rows.start;
            while c + 4 <= rows.end {
                x86::add_rows(
                    &mut sum,
                    &[row(c), row(c + 1), row(c + 2), row(c + 3)],
                    &[xs(c), xs(c + 1), xs(c + 2), xs(c + 3)],
                );
                c += 4;
            }
            for c in c..rows.end {
                x86::add_rows(&mut sum, &[row(c)], &[xs(c)]);
            }
            sum
        })
        .collect();
    for part in partials {
        for (r, out) in dst.chunks_exact_mut(n).enumerate() {
            for (j, d) in out.iter_mut().enumerate() {
                *d += part[j * m + r];
            }
        }
    }
}

/// `x` (`k × n` at row stride `ld`) as strips of [`TILE_COLS`] columns: strip `s`'s row `c`
/// at `[(s·k + c)·6 ..][..6]`, columns past `n` zero.
fn pack_columns(x: &[f32], ld: usize, k: usize, n: usize) -> Vec<f32> {
    let strips = n.div_ceil(TILE_COLS);
    let mut out = vec![0.0; strips * k * TILE_COLS];
    for (s, strip) in out.chunks_exact_mut(k * TILE_COLS).enumerate() {
        let j = s * TILE_COLS;
        let cols = TILE_COLS.min(n - j);
        for (c, row) in strip.chunks_exact_mut(TILE_COLS).enumerate() {
            row[..cols].copy_from_slice(&x[c * ld + j..][..cols]);
        }
    }
    out
}

/// Pack `depth` rows of `rows` (≤ [`PANEL`]) values each, `ld` apart in `w`, tile by tile:
/// tile `t`'s values of inner index `c` at `packed[(t·depth + c)·16 ..][..16]`, rows past
/// `rows` zero.
fn pack(packed: &mut [f32], w: &[f32], ld: usize, rows: usize, depth: usize) {
    // Inner index outermost, so each weight row's values are read in one contiguous run.
    for c in 0..depth {
        let src = &w[c * ld..];
        for t in 0..PANEL / TILE_ROWS {
            let start = t * TILE_ROWS;
            let valid = TILE_ROWS.min(rows.saturating_sub(start));
            let out = &mut packed[(t * depth + c) * TILE_ROWS..][..TILE_ROWS];
            if valid == TILE_ROWS {
                // A whole tile row: a copy of known length, two vector moves (not a call).
                let out: &mut [f32; TILE_ROWS] = out.try_into().expect("a tile row");
                out.copy_from_slice(&src[start..start + TILE_ROWS]);
            } else {
                if valid > 0 {
                    out[..valid].copy_from_slice(&src[start..start + valid]);
                }
                out[valid..].fill(0.0);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{TILE_COLS, TILE_ROWS};
    use std::arch::x86_64::*;

    /// The 16 × `cols` tile `aᵀ · x`: `a` holds `depth` groups of 16 values (one per inner
    /// index), `x` the rows of `cols` values `ld` apart; `tile[j][i]` is row `i`, column `j`.
    pub fn tile(a: &[f32], x: &[f32], ld: usize, depth: usize, cols: usize) -> [[f32; 16]; 6] {
        assert!(a.len() >= depth * TILE_ROWS, "packed block too short");
        assert!(
            (1..=TILE_COLS).contains(&cols) && x.len() >= (depth - 1) * ld + cols,
            "right side too short"
        );
        assert!(super::available(), "AVX2 and FMA");
        // SAFETY: AVX2 and FMA are present (asserted); `a` holds depth·16 values and `x` every
        // `c·ld + j` for c < depth, j < cols (asserted).
        unsafe {
            match cols {
                1 => tile_n::<1>(a.as_ptr(), x.as_ptr(), ld, depth),
                2 => tile_n::<2>(a.as_ptr(), x.as_ptr(), ld, depth),
                3 => tile_n::<3>(a.as_ptr(), x.as_ptr(), ld, depth),
                4 => tile_n::<4>(a.as_ptr(), x.as_ptr(), ld, depth),
                5 => tile_n::<5>(a.as_ptr(), x.as_ptr(), ld, depth),
                _ => tile_n::<6>(a.as_ptr(), x.as_ptr(), ld, depth),
            }
        }
    }

    /// `sum[j·m + r] += Σᵢ rows[i][r] · xs[i][j]` for every `r < m` (`m` = the rows' length)
    /// and `j < n` (`n` = the `xs`' length, ≤ 4): 1 or 4 weight rows at once.
    pub fn add_rows(sum: &mut [f32], rows: &[&[f32]], xs: &[&[f32]]) {
        let (m, n) = (rows[0].len(), xs[0].len());
        assert!(
            rows.len() == xs.len()
                && rows.iter().all(|r| r.len() == m)
                && xs.iter().all(|x| x.len() == n)
                && sum.len() == m * n,
            "add_rows: shapes"
        );
        assert!(super::available(), "AVX2 and FMA");
        let (s, r, x) = (sum.as_mut_ptr(), rows, xs);
        // SAFETY: AVX2 and FMA are present; `sum` holds n·m values and every row m, every
        // `xs` n (asserted).
        unsafe {
            match rows.len() {
                4 => add_rows_n::<4>(
                    s,
                    [r[0], r[1], r[2], r[3]].map(<[f32]>::as_ptr),
                    [x[0], x[1], x[2], x[3]].map(<[f32]>::as_ptr),
                    m,
                    n,
                ),
                _ => {
                    for (r, x) in rows.iter().zip(xs) {
                        add_rows_n::<1>(s, [r.as_ptr()], [x.as_ptr()], m, n);
                    }
                }
            }
        }
    }

    /// [`add_rows`] for `R` rows.
    ///
    /// # Safety
    /// AVX2 and FMA; `sum` valid for n·m values, each row for m, each `xs` for n.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_rows_n<const R: usize>(
        sum: *mut f32,
        rows: [*const f32; R],
        xs: [*const f32; R],
        m: usize,
        n: usize,
    ) {
        // SAFETY: every index below is < m (rows), < n (xs) or < n·m (sum).
        unsafe {
            let mut r = 0;
            while r + 8 <= m {
                let wv: [__m256; R] = std::array::from_fn(|i| _mm256_loadu_ps(rows[i].add(r)));
                for j in 0..n {
                    let out = sum.add(j * m + r);
                    let mut acc = _mm256_loadu_ps(out);
                    for i in 0..R {
                        acc = _mm256_fmadd_ps(wv[i], _mm256_broadcast_ss(&*xs[i].add(j)), acc);
                    }
                    _mm256_storeu_ps(out, acc);
                }
                r += 8;
            }
            for r in r..m {
                for j in 0..n {
                    let out = sum.add(j * m + r);
                    for i in 0..R {
                        *out += *rows[i].add(r) * *xs[i].add(j);
                    }
                }
            }
        }
    }

    /// [`tile`] for `N` columns, in registers.
    ///
    /// # Safety
    /// AVX2 and FMA; `a` valid for depth·16 reads, `x` for `c·ld + j`, c < depth, j < N.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_n<const N: usize>(
        a: *const f32,
        x: *const f32,
        ld: usize,
        depth: usize,
    ) -> [[f32; 16]; 6] {
        let mut acc = [[_mm256_setzero_ps(); 2]; N];
        for c in 0..depth {
            // SAFETY: c < depth (the caller's contract).
            unsafe {
                let a0 = _mm256_loadu_ps(a.add(c * TILE_ROWS));
                let a1 = _mm256_loadu_ps(a.add(c * TILE_ROWS + 8));
                let row = x.add(c * ld);
                for (j, acc) in acc.iter_mut().enumerate() {
                    let b = _mm256_broadcast_ss(&*row.add(j));
                    acc[0] = _mm256_fmadd_ps(a0, b, acc[0]);
                    acc[1] = _mm256_fmadd_ps(a1, b, acc[1]);
                }
            }
        }
        let mut out = [[0.0; 16]; 6];
        for (out, acc) in out.iter_mut().zip(&acc) {
            // SAFETY: `out` holds 16 values.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), acc[1]);
            }
        }
        out
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    /// Never called: [`super::available`] is false off x86-64.
    pub fn add_rows(_: &mut [f32], _: &[&[f32]], _: &[&[f32]]) {
        unreachable!("product_t runs only where `available` is true")
    }

    /// Never called: [`super::available`] is false off x86-64.
    pub fn tile(_: &[f32], _: &[f32], _: usize, _: usize, _: usize) -> [[f32; 16]; 6] {
        unreachable!("product_t runs only where `available` is true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_products_match_the_definition_at_every_remainder() {
        assert!(
            available() || cfg!(not(target_arch = "x86_64")),
            "x86-64 CPUs that run pix2paint's CI have AVX2"
        );
        if !available() {
            return;
        }
        // Rows, columns and depths that leave remainders in panels, tiles and depth blocks,
        // and strides longer than the rows.
        for &(m, k, n, w_ld, x_ld) in &[
            (1, 1, 1, 1, 1),
            (64, 256, 6, 64, 6),
            (70, 300, 7, 75, 9),
            (200, 513, 16, 200, 16),
            (33, 40, 1, 40, 3),
            (300, 130, 5, 310, 5),
            (70, 11, 4, 72, 5),
            (4096, 9, 1, 4096, 1),
            (129, 6, 2, 130, 2),
            (129, 17, 64, 129, 64),
        ] {
            let w: Vec<f32> = (0..k * w_ld)
                .map(|i| ((i * 7 % 23) as f32 - 11.0) * 0.05)
                .collect();
            let x: Vec<f32> = (0..k * x_ld)
                .map(|i| ((i * 5 % 19) as f32 - 9.0) * 0.07)
                .collect();
            let mut got = vec![1.0; m * n];
            product_t(&mut got, (&w, w_ld), (&x, x_ld), [m, k, n], true);
            let mut fresh = vec![f32::NAN; m * n];
            product_t(&mut fresh, (&w, w_ld), (&x, x_ld), [m, k, n], false);
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = (0..k)
                        .map(|c| w[c * w_ld + i] as f64 * x[c * x_ld + j] as f64)
                        .sum();
                    let tol = 1e-4 * want.abs().max(1.0);
                    let (g, f) = (got[i * n + j] as f64 - 1.0, fresh[i * n + j] as f64);
                    assert!(
                        (g - want).abs() <= tol,
                        "({m}, {k}, {n}) at ({i}, {j}): {g} vs {want}"
                    );
                    assert!(
                        (f - want).abs() <= tol,
                        "({m}, {k}, {n}) at ({i}, {j}): {f} vs {want}"
                    );
                }
            }
        }
    }
}

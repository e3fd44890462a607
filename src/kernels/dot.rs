//! `dst = w · x` for a row-major weight and only a few columns: the U-Net's innermost layers
//! (1 to 16 pixels against weights of 4–8 MB), as dot products along the weight's rows.
//!
//! A GEMM library first packs both operands into its own layout. For these products packing
//! the weight costs more than multiplying it (every call, since the weights are read once), and
//! `gemm` then vectorises along the short pixel direction. Here the weight is read where it
//! lies, once, row by row; `x` is transposed once into rows as long as the weight's (small:
//! ≤ 16 × 4096 values), and each block of 4 weight rows × 4 `x` rows becomes 16 dot products
//! whose partial sums stay in vector registers. The inner dimension is cut into blocks whose
//! `x` rows stay in the core's L2 cache while the weight streams past them.
//!
//! Written for the CPU's widest vectors, chosen at run time (AVX-512, or AVX2 + FMA), so one
//! portable binary runs at full width; on other CPUs these products stay with `gemm`.

use rayon::prelude::*;

/// The inner dimension per pass: 4 `x` rows of it stay in L1, all of them in L2.
const INNER_BLOCK: usize = 1024;
/// Weight rows per thread task.
const ROWS_PER_TASK: usize = 32;

/// `dst = w · xtᵀ` (or `+=` when `accumulate`): `w` row-major `m × k`, `xt` row-major `n × k`
/// (the right operand transposed), `dst` row-major `m × n`.
///
/// # Panics
/// When the lengths do not match the shapes (a bug in the caller), or on a CPU without the
/// vector code ([`available`] says).
pub fn rows_dot(dst: &mut [f32], w: &[f32], xt: &[f32], [m, k, n]: [usize; 3], accumulate: bool) {
    assert_eq!(w.len(), m * k, "weight does not match its shape");
    assert_eq!(xt.len(), n * k, "right operand does not match its shape");
    assert_eq!(
        dst.len(),
        m * n,
        "output does not match the product's shape"
    );
    if !accumulate {
        dst.fill(0.0);
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let kernel = Kernel::detect().expect("rows_dot needs AVX2 and FMA (see `available`)");
    rows_dot_with(kernel, dst, w, xt, [m, k, n]);
}

/// [`rows_dot`]'s accumulation with a given kernel (the tests try each).
fn rows_dot_with(kernel: Kernel, dst: &mut [f32], w: &[f32], xt: &[f32], [_, k, n]: [usize; 3]) {
    dst.par_chunks_mut(ROWS_PER_TASK * n)
        .zip(w.par_chunks(ROWS_PER_TASK * k))
        .for_each(|(dst, w)| {
            for start in (0..k).step_by(INNER_BLOCK) {
                let len = INNER_BLOCK.min(k - start);
                kernel.run(dst, w, xt, [k, n], start..start + len);
            }
        });
}

/// The vector code this CPU runs (x86-64 with AVX2 and FMA at least; elsewhere products take
/// the GEMM path, see [`available`]).
#[derive(Clone, Copy)]
enum Kernel {
    Avx512,
    Avx2,
}

/// Whether [`rows_dot`] has vector code for this CPU.
pub fn available() -> bool {
    Kernel::detect().is_some()
}

/// The instructions [`rows_dot`] runs on this CPU, for `bench` to print.
pub fn instruction_set() -> &'static str {
    match Kernel::detect() {
        Some(Kernel::Avx512) => "AVX-512F + FMA",
        Some(Kernel::Avx2) => "AVX2 + FMA",
        None => "none (the GEMM path instead)",
    }
}

impl Kernel {
    /// The widest kernel this CPU runs.
    fn detect() -> Option<Self> {
        Self::available().next()
    }

    /// Every kernel this CPU can run, widest first.
    fn available() -> impl Iterator<Item = Self> {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let fma = has!("fma");
            [
                (has!("avx512f") && fma, Self::Avx512),
                (has!("avx2") && fma, Self::Avx2),
            ]
            .into_iter()
            .filter_map(|(ok, k)| ok.then_some(k))
        }
        #[cfg(not(target_arch = "x86_64"))]
        std::iter::empty()
    }

    /// `dst += w[:, cols] · xt[:, cols]ᵀ` for this task's rows.
    fn run(self, dst: &mut [f32], w: &[f32], xt: &[f32], shape: [usize; 2], cols: Range) {
        #[cfg(target_arch = "x86_64")]
        match self {
            // 16 accumulators of 16 lanes and 4 + 1 operands: within the 32 vector registers.
            Self::Avx512 => rows_block::<4, 4>(dst, w, xt, shape, cols, |w, x| {
                // SAFETY: `available` found AVX-512F and FMA on this CPU.
                unsafe { x86::dots_avx512(w, x) }
            }),
            // 8 accumulators of 8 lanes and 4 + 1 operands: within the 16 vector registers.
            Self::Avx2 => rows_block::<4, 2>(dst, w, xt, shape, cols, |w, x| {
                // SAFETY: `available` found AVX2 and FMA on this CPU.
                unsafe { x86::dots_avx2(w, x) }
            }),
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (self, dst, w, xt, shape, cols);
    }
}

type Range = std::ops::Range<usize>;

/// `dst += w[:, cols] · xt[:, cols]ᵀ` over blocks of `R` weight rows × `C` `x` rows (rows and
/// columns left over go through 1-wide blocks); `dots` computes one block's dot products.
#[inline(always)]
fn rows_block<const R: usize, const C: usize>(
    dst: &mut [f32],
    w: &[f32],
    xt: &[f32],
    [k, n]: [usize; 2],
    cols: Range,
    dots: impl Fn(&[&[f32]], &[&[f32]]) -> [[f32; 4]; 4],
) {
    let m = w.len() / k;
    let row = |i: usize| &w[i * k..][cols.clone()];
    let col = |j: usize| &xt[j * k..][cols.clone()];
    let mut i = 0;
    while i < m {
        let rows = R.min(m - i);
        let wr: [&[f32]; R] = std::array::from_fn(|r| row((i + r).min(m - 1)));
        let mut j = 0;
        while j < n {
            let width = C.min(n - j);
            let xr: [&[f32]; C] = std::array::from_fn(|c| col((j + c).min(n - 1)));
            let sums = dots(&wr[..rows], &xr[..width]);
            for (r, sums) in sums.iter().enumerate().take(rows) {
                let out = &mut dst[(i + r) * n + j..][..width];
                out.iter_mut().zip(sums).for_each(|(d, s)| *d += s);
            }
            j += width;
        }
        i += rows;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Up to 4 × 4 dot products of `w`'s and `x`'s rows (all of one length), 16 lanes wide;
    /// sums of missing rows are 0.
    ///
    /// # Safety
    /// The CPU must have AVX-512F and FMA.
    #[target_feature(enable = "avx512f,fma")]
    pub unsafe fn dots_avx512(w: &[&[f32]], x: &[&[f32]]) -> [[f32; 4]; 4] {
        if (w.len(), x.len()) == (4, 4) {
            return block512::<4, 4>(w, x);
        }
        by_columns(
            w,
            x,
            |w, x| block512::<4, 1>(w, x),
            |w, x| block512::<1, 1>(w, x),
        )
    }

    /// As [`dots_avx512`], 8 lanes wide, up to 4 × 2.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dots_avx2(w: &[&[f32]], x: &[&[f32]]) -> [[f32; 4]; 4] {
        if (w.len(), x.len()) == (4, 2) {
            return block256::<4, 2>(w, x);
        }
        by_columns(
            w,
            x,
            |w, x| block256::<4, 1>(w, x),
            |w, x| block256::<1, 1>(w, x),
        )
    }

    /// A block smaller than the kernel's: column by column with 4 rows at once (`four`), else
    /// pair by pair (`one`).
    #[inline(always)]
    fn by_columns(
        w: &[&[f32]],
        x: &[&[f32]],
        four: impl Fn(&[&[f32]], &[&[f32]]) -> [[f32; 4]; 4],
        one: impl Fn(&[&[f32]], &[&[f32]]) -> [[f32; 4]; 4],
    ) -> [[f32; 4]; 4] {
        let mut out = [[0.0; 4]; 4];
        for c in 0..x.len() {
            if w.len() == 4 {
                let sums = four(w, &x[c..c + 1]);
                (0..4).for_each(|r| out[r][c] = sums[r][0]);
            } else {
                (0..w.len()).for_each(|r| out[r][c] = one(&w[r..r + 1], &x[c..c + 1])[0][0]);
            }
        }
        out
    }

    /// The `R` × `C` dot products of `R` rows of `w` and `C` of `x`.
    macro_rules! block {
        ($name:ident, $vec:ty, $lanes:expr, $zero:ident, $load:ident, $fma:ident, $sum:expr, $feature:literal) => {
            #[target_feature(enable = $feature)]
            fn $name<const R: usize, const C: usize>(w: &[&[f32]], x: &[&[f32]]) -> [[f32; 4]; 4] {
                assert!(w.len() == R && x.len() == C, "a block of R × C rows");
                let mut out = [[0.0; 4]; 4];
                let len = x[0].len();
                assert!(
                    w.iter().chain(x).all(|v| v.len() == len),
                    "rows of one length"
                );
                let wp: [*const f32; R] = std::array::from_fn(|r| w[r].as_ptr());
                let xp: [*const f32; C] = std::array::from_fn(|c| x[c].as_ptr());
                let mut acc: [[$vec; C]; R] = [[$zero(); C]; R];
                let mut l = 0;
                while l + $lanes <= len {
                    // SAFETY: l + lanes ≤ len, the length of every row (asserted above).
                    let wv: [$vec; R] = std::array::from_fn(|r| unsafe { $load(wp[r].add(l)) });
                    for c in 0..C {
                        // SAFETY: as above.
                        let xv = unsafe { $load(xp[c].add(l)) };
                        for r in 0..R {
                            acc[r][c] = $fma(wv[r], xv, acc[r][c]);
                        }
                    }
                    l += $lanes;
                }
                for r in 0..R {
                    for c in 0..C {
                        let tail: f32 = (l..len).map(|q| w[r][q] * x[c][q]).sum();
                        out[r][c] = $sum(acc[r][c]) + tail;
                    }
                }
                out
            }
        };
    }

    block!(
        block512,
        __m512,
        16,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_fmadd_ps,
        _mm512_reduce_add_ps,
        "avx512f,fma"
    );
    block!(
        block256,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_fmadd_ps,
        sum256,
        "avx2,fma"
    );

    /// The sum of a vector's 8 lanes.
    #[target_feature(enable = "avx2,fma")]
    fn sum256(v: __m256) -> f32 {
        let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pairs = _mm_add_ps(half, _mm_movehl_ps(half, half));
        let one = _mm_add_ss(pairs, _mm_shuffle_ps::<0b01>(pairs, pairs));
        _mm_cvtss_f32(one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_products_match_the_definition_at_every_remainder() {
        // Rows, columns and inner lengths that leave remainders in every blocking, and an
        // inner dimension longer than one block.
        for &(m, k, n) in &[
            (9, 37, 5),
            (70, 2100, 3),
            (4, 16, 4),
            (1, 1, 1),
            (33, 1030, 17),
        ] {
            let w: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 23) as f32 - 11.0) * 0.05)
                .collect();
            let xt: Vec<f32> = (0..n * k)
                .map(|i| ((i * 5 % 19) as f32 - 9.0) * 0.07)
                .collect();
            assert!(
                Kernel::available().count() > 0 || cfg!(not(target_arch = "x86_64")),
                "x86-64 CPUs that run pix2paint's CI have AVX2"
            );
            for kernel in Kernel::available() {
                let mut got = vec![1.0; m * n];
                rows_dot_with(kernel, &mut got, &w, &xt, [m, k, n]);
                for i in 0..m {
                    for j in 0..n {
                        let want: f64 = (0..k)
                            .map(|l| w[i * k + l] as f64 * xt[j * k + l] as f64)
                            .sum();
                        let g = got[i * n + j] as f64 - 1.0;
                        assert!(
                            (g - want).abs() <= 1e-4 * want.abs().max(1.0),
                            "({m}, {k}, {n}) at ({i}, {j}): {g} vs {want}"
                        );
                    }
                }
                let mut fresh = vec![f32::NAN; m * n];
                rows_dot(&mut fresh, &w, &xt, [m, k, n], false);
                for (a, b) in fresh.iter().zip(&got) {
                    assert!((a - (b - 1.0)).abs() <= 1e-4 * a.abs().max(1.0));
                }
            }
        }
    }
}

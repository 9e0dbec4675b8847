//! `A = Σ zᵢ zᵢᵀ` (lower triangle) for narrow designs, with the rows `zᵢ`
//! built on the fly: a register-blocked kernel that replaces the general
//! matrix product when `z` has at most [`MAX_COLUMNS`] columns.
//!
//! Rows are handled in blocks of a few dozen: a block of `z` is written into
//! a small buffer that stays in L1, then every tile of the lower triangle is
//! updated from it, the tile's accumulators held in vector registers.
//!
//! Every entry of `A` is the sum over the rows in order, one fused
//! multiply-add per row, whichever kernel runs: AVX-512, AVX2 + FMA and the
//! portable kernel (`f64::mul_add`) give the same bits. Only the tiling
//! differs, which decides which entries share a register, not how any entry
//! is summed.

/// The widest `z` (features + labels + 1) this path takes.
pub const MAX_COLUMNS: usize = 64;

/// Columns per tile column block: tiles cover 8 columns, or 4 when the
/// rows below them need more accumulators than the registers hold.
const BLOCK_COLS: usize = 8;

/// Which kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Avx512,
    Avx2,
    Portable,
}

impl Kernel {
    /// Whether this CPU can run the kernel (forcing one it cannot runs the
    /// portable code instead).
    pub fn runs_here(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx512 | Kernel::Avx2 => false,
        }
    }

    /// The fastest kernel this CPU runs with fused multiply-adds in hardware,
    /// or `None` (an x86-64 CPU without AVX2 and FMA, or a target without
    /// hardware FMA: the caller keeps the general product, whose bits then
    /// differ in the last place).
    pub fn detect() -> Option<Kernel> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Some(Kernel::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Some(Kernel::Avx2);
            }
            None
        }
        // `mul_add` is one instruction on these; elsewhere it may be a slow
        // software routine, and the general product serves better.
        #[cfg(all(
            not(target_arch = "x86_64"),
            any(target_arch = "aarch64", target_feature = "fma")
        ))]
        {
            Some(Kernel::Portable)
        }
        #[cfg(all(
            not(target_arch = "x86_64"),
            not(any(target_arch = "aarch64", target_feature = "fma"))
        ))]
        {
            None
        }
    }
}

/// The rows of a neighbourhood and how to turn them into `z`.
pub struct Rows<'a> {
    /// Row-major n × d.
    pub x: &'a [f64],
    pub d: usize,
    /// Row-major n × l.
    pub y: &'a [f64],
    pub l: usize,
    /// The label columns used, in order.
    pub cols: &'a [usize],
    pub w: &'a [f64],
    /// `[x₀, y₀[cols]]`: subtracted from every row.
    pub shift: &'a [f64],
}

impl Rows<'_> {
    /// Columns of `z`: features, used labels, the square root of the weight.
    pub fn q(&self) -> usize {
        self.d + self.cols.len() + 1
    }
}

/// Stride of the accumulator (and of a buffered `z` row): `q` rounded up to
/// whole 8-wide vectors.
pub fn stride(q: usize) -> usize {
    q.div_ceil(8) * 8
}

/// Buffers reused from one group of rows to the next (one per worker): fresh
/// allocations per group cost more than the arithmetic of a small group.
#[derive(Default)]
pub struct Scratch {
    z: Vec<f64>,
    sw: Vec<f64>,
    sx: Vec<f64>,
    /// The `q` the buffers were laid out for.
    q: usize,
}

/// `A` over rows `start..end`, column-major with stride [`stride`]`(q)`;
/// entries with row >= column are meaningful. `None` when the design is too
/// wide or the rows are inconsistent (the caller checks shapes first).
pub fn accumulate(
    kernel: Kernel,
    rows: &Rows<'_>,
    start: usize,
    end: usize,
    scratch: &mut Scratch,
) -> Option<Vec<f64>> {
    let q = rows.q();
    let n = rows.w.len();
    let consistent = q <= MAX_COLUMNS
        && rows.shift.len() + 1 == q
        && rows.x.len() == n * rows.d
        && rows.y.len() == n * rows.l
        && rows.cols.iter().all(|&c| c < rows.l)
        && start <= end
        && end <= n;
    if !consistent {
        return None;
    }
    let qs = stride(q);
    let mut acc = vec![0.0; qs * qs];
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { x86::run_avx512(rows, start, end, &mut acc, scratch) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma") =>
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { x86::run_avx2(rows, start, end, &mut acc, scratch) }
        }
        _ => run::<Portable>(rows, start, end, &mut acc, scratch),
    }
    crate::cpu::clear_upper_state();
    Some(acc)
}

/// One vector type: `W` doubles, and at most `MV` vectors per tile.
pub(crate) trait Lanes {
    const W: usize;
    /// Accumulators a tile may hold in registers.
    const ACC: usize;
    type V: Copy;
    /// # Safety
    /// `p..p + W` readable; the CPU has the lanes' features.
    unsafe fn load(p: *const f64) -> Self::V;
    /// # Safety
    /// `p..p + W` writable; the CPU has the lanes' features.
    unsafe fn store(p: *mut f64, v: Self::V);
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn splat(x: f64) -> Self::V;
    /// `a * b + c`, rounded once.
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `(a - b) * c`, each operation rounded.
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn sub_mul(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a - b`.
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// The first `n < W` values at `p`, then zeros.
    /// # Safety
    /// `p..p + n` readable; the CPU has the lanes' features.
    unsafe fn load_partial(p: *const f64, n: usize) -> Self::V;
    /// The first `n < W` lanes of `v`, then zeros.
    /// # Safety
    /// The CPU has the lanes' features.
    unsafe fn keep_first(v: Self::V, n: usize) -> Self::V;
    /// A hint to bring the cache line holding `p` closer; never faults.
    fn prefetch(p: *const f64);
}

/// Four lanes of plain `f64` with `mul_add`.
pub(crate) struct Portable;

impl Lanes for Portable {
    const W: usize = 4;
    const ACC: usize = 16;
    type V = [f64; 4];
    #[inline(always)]
    unsafe fn load(p: *const f64) -> [f64; 4] {
        // SAFETY: the caller guarantees `p..p + 4` readable.
        unsafe { std::ptr::read_unaligned(p.cast::<[f64; 4]>()) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: [f64; 4]) {
        // SAFETY: the caller guarantees `p..p + 4` writable.
        unsafe { std::ptr::write_unaligned(p.cast::<[f64; 4]>(), v) }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> [f64; 4] {
        [x; 4]
    }
    #[inline(always)]
    unsafe fn fma(a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|i| a[i].mul_add(b[i], c[i]))
    }
    #[inline(always)]
    unsafe fn sub_mul(a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|i| (a[i] - b[i]) * c[i])
    }
    #[inline(always)]
    unsafe fn sub(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    unsafe fn mul(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f64, n: usize) -> [f64; 4] {
        // SAFETY: the caller guarantees `p..p + n` readable.
        std::array::from_fn(|i| if i < n { unsafe { *p.add(i) } } else { 0.0 })
    }
    #[inline(always)]
    unsafe fn keep_first(v: [f64; 4], n: usize) -> [f64; 4] {
        std::array::from_fn(|i| if i < n { v[i] } else { 0.0 })
    }
    #[inline(always)]
    fn prefetch(_: *const f64) {}
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86 {
    use std::arch::x86_64::*;

    use super::{run, Lanes, Rows, Scratch};

    pub(crate) struct Avx512;
    pub(crate) struct Avx2;

    impl Lanes for Avx512 {
        const W: usize = 8;
        const ACC: usize = 16;
        type V = __m512d;
        #[inline(always)]
        unsafe fn load(p: *const f64) -> __m512d {
            // SAFETY: the caller guarantees `p..p + 8` readable and AVX-512F.
            unsafe { _mm512_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f64, v: __m512d) {
            // SAFETY: the caller guarantees `p..p + 8` writable and AVX-512F.
            unsafe { _mm512_storeu_pd(p, v) }
        }
        #[inline(always)]
        unsafe fn splat(x: f64) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_set1_pd(x) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        unsafe fn sub_mul(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_mul_pd(_mm512_sub_pd(a, b), c) }
        }
        #[inline(always)]
        unsafe fn sub(a: __m512d, b: __m512d) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_sub_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m512d, b: __m512d) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_mul_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn load_partial(p: *const f64, n: usize) -> __m512d {
            // SAFETY: the caller guarantees `p..p + n` readable (n < 8) and
            // AVX-512F; masked-off lanes are not read.
            unsafe { _mm512_maskz_loadu_pd(((1u32 << n) - 1) as u8, p) }
        }
        #[inline(always)]
        unsafe fn keep_first(v: __m512d, n: usize) -> __m512d {
            // SAFETY: the caller guarantees AVX-512F.
            unsafe { _mm512_maskz_mov_pd(((1u32 << n) - 1) as u8, v) }
        }
        #[inline(always)]
        fn prefetch(p: *const f64) {
            // SAFETY: a prefetch is a hint (SSE, in every x86-64 CPU): it
            // never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
        }
    }

    impl Lanes for Avx2 {
        const W: usize = 4;
        const ACC: usize = 12;
        type V = __m256d;
        #[inline(always)]
        unsafe fn load(p: *const f64) -> __m256d {
            // SAFETY: the caller guarantees `p..p + 4` readable and AVX.
            unsafe { _mm256_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f64, v: __m256d) {
            // SAFETY: the caller guarantees `p..p + 4` writable and AVX.
            unsafe { _mm256_storeu_pd(p, v) }
        }
        #[inline(always)]
        unsafe fn splat(x: f64) -> __m256d {
            // SAFETY: the caller guarantees AVX.
            unsafe { _mm256_set1_pd(x) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            // SAFETY: the caller guarantees FMA.
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        unsafe fn sub_mul(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            // SAFETY: the caller guarantees AVX.
            unsafe { _mm256_mul_pd(_mm256_sub_pd(a, b), c) }
        }
        #[inline(always)]
        unsafe fn sub(a: __m256d, b: __m256d) -> __m256d {
            // SAFETY: the caller guarantees AVX.
            unsafe { _mm256_sub_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
            // SAFETY: the caller guarantees AVX.
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn load_partial(p: *const f64, n: usize) -> __m256d {
            // SAFETY: the caller guarantees `p..p + n` readable (n < 4) and
            // AVX; masked-off lanes are not read.
            unsafe {
                let lane = _mm256_set_epi64x(3, 2, 1, 0);
                let mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), lane);
                _mm256_maskload_pd(p, mask)
            }
        }
        #[inline(always)]
        unsafe fn keep_first(v: __m256d, n: usize) -> __m256d {
            // SAFETY: the caller guarantees AVX2.
            unsafe {
                let lane = _mm256_set_epi64x(3, 2, 1, 0);
                let mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), lane);
                _mm256_and_pd(v, _mm256_castsi256_pd(mask))
            }
        }
        #[inline(always)]
        fn prefetch(p: *const f64) {
            // SAFETY: a prefetch is a hint (SSE, in every x86-64 CPU): it
            // never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn run_avx512(
        rows: &Rows<'_>,
        start: usize,
        end: usize,
        acc: &mut [f64],
        scratch: &mut Scratch,
    ) {
        run::<Avx512>(rows, start, end, acc, scratch)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn run_avx2(
        rows: &Rows<'_>,
        start: usize,
        end: usize,
        acc: &mut [f64],
        scratch: &mut Scratch,
    ) {
        run::<Avx2>(rows, start, end, acc, scratch)
    }
}

/// Rows of `z` buffered at a time: the buffer stays within ~16 KiB.
fn block_rows(qs: usize) -> usize {
    (2048 / qs).clamp(16, 128)
}

/// The whole accumulation with one kind of lanes. `acc` is zeroed, `qs × qs`.
#[inline(always)]
fn run<S: Lanes>(
    rows: &Rows<'_>,
    start: usize,
    end: usize,
    acc: &mut [f64],
    scratch: &mut Scratch,
) {
    let q = rows.q();
    let qs = stride(q);
    let kb = block_rows(qs);
    // Columns beyond q stay zero: fill writes zeros up to d rounded to
    // whole vectors (<= qs), then the labels and √w over them; a buffer
    // laid out for this q is reused as it is.
    if scratch.q != q || scratch.z.len() != kb * qs + 8 {
        scratch.z = vec![0.0; kb * qs + 8];
        scratch.sw = vec![0.0; kb];
        // The features' shift, padded with zeros to whole vectors.
        scratch.sx = vec![0.0; qs];
        scratch.q = q;
    }
    scratch.sx[..rows.d].copy_from_slice(&rows.shift[..rows.d]);
    let Scratch { z, sw, sx, .. } = scratch;
    // z rows start on cache lines (qs is a multiple of 8 doubles), so no
    // vector load or store of z straddles two lines.
    let skip = z.as_ptr().align_offset(64).min(8);
    let z = &mut z[skip..skip + kb * qs];
    let sx = &sx[..];
    let mut b0 = start;
    while b0 < end {
        let nb = kb.min(end - b0);
        fill::<S>(rows, sx, b0, nb, z, qs, sw);
        // While this block is multiplied, the next block's features are
        // fetched: filling is otherwise bound by memory, not arithmetic.
        let next = (b0 + nb) * rows.d;
        let ahead = (kb.min(end - b0 - nb)) * rows.d;
        let pf = rows.x[next.min(rows.x.len())..(next + ahead).min(rows.x.len())].as_ptr_range();
        update::<S>(&z[..nb * qs], qs, q, acc, pf);
        b0 += nb;
    }
}

/// Writes rows `b0..b0 + nb` of `z` (stride `qs`): `(v - shift)·√w`, the
/// subtraction and the product rounded separately on every path.
#[inline(always)]
fn fill<S: Lanes>(
    rows: &Rows<'_>,
    sx: &[f64],
    b0: usize,
    nb: usize,
    z: &mut [f64],
    qs: usize,
    sw: &mut [f64],
) {
    let (d, l, u) = (rows.d, rows.l, rows.cols.len());
    let sy = &rows.shift[d..];
    for (s, &w) in sw[..nb].iter_mut().zip(&rows.w[b0..b0 + nb]) {
        *s = w.sqrt();
    }
    let (full, rem) = (d / S::W, d % S::W);
    let xs = &rows.x[b0 * d..(b0 + nb) * d];
    let ys = &rows.y[b0 * l..(b0 + nb) * l];
    let z = &mut z[..nb * qs];
    let sw = &sw[..nb];
    let x_len = rows.x.len();
    // SAFETY: row k reads x[k·d..(k+1)·d] (full vectors within d, the
    // partial one masked to d unless the W values read lie within x), y[k·l + cols[t]] (cols[t] < l, checked by
    // `accumulate`), shift and sx within their lengths (u and qs), and
    // writes z[k·qs..] up to d rounded up to W (<= qs) and d + u < q <= qs;
    // k < nb, and xs, ys, z, sw hold nb rows. The lanes have the CPU's
    // features (run is only called where they were detected).
    unsafe {
        let (xp, yp, zp) = (xs.as_ptr(), ys.as_ptr(), z.as_mut_ptr());
        // Column blocks outer, rows inner: few live values, one shift
        // vector held per block.
        for j in 0..full + usize::from(rem > 0) {
            let o = j * S::W;
            let shift = S::load(sx.as_ptr().add(o));
            for (k, &s) in sw.iter().enumerate() {
                let xr = xp.add(k * d + o);
                // The last, partial vector: a full load while the array
                // goes on past it, lanes beyond the row then cleared
                // (masked loads are slow where the masked lanes cross a
                // page); a masked load at the very end of the array.
                let xv = if j < full {
                    S::load(xr)
                } else if (b0 + k) * d + o + S::W <= x_len {
                    S::keep_first(S::load(xr), rem)
                } else {
                    S::load_partial(xr, rem)
                };
                S::store(zp.add(k * qs + o), S::sub_mul(xv, shift, S::splat(s)));
            }
        }
        if let ([col], [c]) = (rows.cols, sy) {
            // One label (the common case): no inner loop.
            for (k, &s) in sw.iter().enumerate() {
                let zr = zp.add(k * qs + d);
                *zr = (*yp.add(k * l + col) - c) * s;
                *zr.add(1) = s;
            }
        } else {
            for (k, &s) in sw.iter().enumerate() {
                let (yr, zr) = (yp.add(k * l), zp.add(k * qs));
                for (t, (&col, &c)) in rows.cols.iter().zip(sy).enumerate() {
                    *zr.add(d + t) = (*yr.add(col) - c) * s;
                }
                *zr.add(d + u) = s;
            }
        }
    }
}

/// The meat accumulation with one kind of lanes. `acc` is zeroed,
/// `qs × qs` with `qs = stride(k + 1)`.
///
/// `z` gets one more column of ones: its products with the scaled columns
/// `x̃ᵢ·uᵢ` are the score sums `Σ uᵢ x̃ᵢ`, so the tiles yield them with the
/// meat.
#[inline(always)]
pub(crate) fn run_meat<S: Lanes>(
    rows: &super::meat::MeatRows<'_>,
    start: usize,
    end: usize,
    acc: &mut [f64],
) {
    let k = rows.features.len();
    let qs = stride(k + 1);
    let kb = block_rows(qs);
    // Means and coefficients padded with zeros to whole 8-lane groups, so
    // lanes beyond k stay zero through every step.
    let mut mp = vec![0.0; qs];
    let mut bp = vec![0.0; qs];
    mp[..k].copy_from_slice(rows.means);
    bp[..k].copy_from_slice(rows.coef);
    let mut buf = vec![0.0; kb * qs + 8];
    let mut u = vec![0.0; kb];
    let skip = buf.as_ptr().align_offset(64).min(8);
    let z = &mut buf[skip..skip + kb * qs];
    let mut b0 = start;
    while b0 < end {
        let nb = kb.min(end - b0);
        // SAFETY: rows b0..b0 + nb exist (end <= n), z and u hold kb >= nb
        // rows, mp and bp qs values.
        unsafe { fill_meat::<S>(rows, &mp, &bp, b0, nb, z, qs, &mut u) };
        let next = (b0 + nb) * rows.d;
        let ahead = (kb.min(end - b0 - nb)) * rows.d;
        let pf = rows.x[next.min(rows.x.len())..(next + ahead).min(rows.x.len())].as_ptr_range();
        update::<S>(&z[..nb * qs], qs, k + 1, acc, pf);
        b0 += nb;
    }
}

/// Writes rows `b0..b0 + nb` of the meat's `z` (stride `qs`):
/// `[x̃ᵢ·uᵢ, 1]`, zeros beyond.
///
/// In three sweeps over the block, so that no vector load waits on the
/// scalar stores of a gathered row: gather, then centre and take the
/// residual (a dot product of a fixed 8-lane shape: the same bits for
/// every kernel), then scale.
///
/// # Safety
/// Rows `b0..b0 + nb` exist in `rows` (checked consistent by
/// `meat::accumulate_meat`), `z` holds `nb` rows of `qs = stride(k + 1)` and
/// `u` `nb` values, `mp` and `bp` hold `qs` values, and the CPU has the
/// lanes' features.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn fill_meat<S: Lanes>(
    rows: &super::meat::MeatRows<'_>,
    mp: &[f64],
    bp: &[f64],
    b0: usize,
    nb: usize,
    z: &mut [f64],
    qs: usize,
    u: &mut [f64],
) {
    let (k, d) = (rows.features.len(), rows.d);
    let per8 = 8 / S::W;
    let nv = k.div_ceil(8) * per8;
    let (xp, zp) = (rows.x.as_ptr(), z.as_mut_ptr());
    let f0 = rows.features[0];
    let contiguous = rows.features.iter().enumerate().all(|(j, &f)| f == f0 + j);
    // SAFETY: (whole body) row i < n reads x[i·d + f] for f < d (features
    // checked); z row r < nb is accessed at offsets below nv·W <= qs
    // (k < nv·W, so the sign column k too); mp, bp below nv·W; y[i·l + col]
    // with col < l; u[r] with r < nb.
    unsafe {
        if !contiguous {
            for r in 0..nb {
                let (row, zr) = (xp.add((b0 + r) * d), zp.add(r * qs));
                for (j, &f) in rows.features.iter().enumerate() {
                    *zr.add(j) = *row.add(f);
                }
            }
        }
        let zero = S::splat(0.0);
        let (full, rem) = (k / S::W, k % S::W);
        let x_len = rows.x.len();
        for r in 0..nb {
            let i = b0 + r;
            let zr = zp.add(r * qs);
            // contiguous: straight from the row (vectors ending past the
            // selection cleared beyond it, read masked at the end of x)
            let (src, at) = if contiguous {
                (xp.add(i * d + f0), i * d + f0)
            } else {
                (zr.cast_const(), 0)
            };
            let mut dot = [zero; 2];
            for v in 0..nv {
                let o = v * S::W;
                let raw = if v < full {
                    S::load(src.add(o))
                } else if v > full || rem == 0 {
                    zero
                } else if !contiguous || at + o + S::W <= x_len {
                    S::keep_first(S::load(src.add(o)), rem)
                } else {
                    S::load_partial(src.add(o), rem)
                };
                let xv = S::sub(raw, S::load(mp.as_ptr().add(o)));
                S::store(zr.add(o), xv);
                let h = v % per8;
                dot[h] = S::fma(xv, S::load(bp.as_ptr().add(o)), dot[h]);
            }
            let mut t = [0.0f64; 8];
            for (h, &dv) in dot.iter().enumerate().take(per8) {
                S::store(t.as_mut_ptr().add(h * S::W), dv);
            }
            let fitted = ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]));
            let e = (*rows.y.as_ptr().add(i * rows.l + rows.col) - rows.y_mean) - fitted;
            *u.as_mut_ptr().add(r) = *rows.w.as_ptr().add(i) * e;
        }
        for r in 0..nb {
            let zr = zp.add(r * qs);
            let uv = S::splat(*u.as_ptr().add(r));
            for v in 0..nv {
                let o = v * S::W;
                S::store(zr.add(o), S::mul(S::load(zr.add(o)), uv));
            }
            *zr.add(k) = 1.0;
        }
    }
}

/// `acc += zᵀz` (lower tiles) for one buffered block `z` (`rows × qs`).
///
/// Columns go in blocks of 8; the rows at or below a block's first column
/// are `m` vectors. One tile of 8 columns × `m` vectors when the
/// accumulators fit in registers, else two of 4 columns, each over groups
/// of at most `ACC / 4` vectors.
#[inline(always)]
fn update<S: Lanes>(
    z: &[f64],
    qs: usize,
    q: usize,
    acc: &mut [f64],
    mut pf: std::ops::Range<*const f64>,
) {
    let nv = q.div_ceil(S::W);
    let mut c0 = 0;
    while c0 < q {
        let v0 = c0 / S::W;
        let m = nv - v0;
        if m * BLOCK_COLS <= S::ACC {
            // SAFETY: rows of z hold qs >= nv·W columns, c0 + 8 <= qs (c0 < q
            // and both multiples of 8), acc is qs × qs.
            unsafe { tiles::<S, 8>(z, qs, acc, v0, m, c0, &mut pf) };
        } else {
            for half in [c0, c0 + 4] {
                let mut v = half / S::W;
                while v < nv {
                    let mv = (nv - v).min(S::ACC / 4);
                    // SAFETY: as above, with half + 4 <= c0 + 8.
                    unsafe { tiles::<S, 4>(z, qs, acc, v, mv, half, &mut pf) };
                    v += mv;
                }
            }
        }
        c0 += BLOCK_COLS;
    }
}

/// One tile of `mv` vectors from vector `v0`, `NC` columns from `c0`.
///
/// # Safety
/// As [`tile`], with `MV = mv <= 6`.
#[inline(always)]
unsafe fn tiles<S: Lanes, const NC: usize>(
    z: &[f64],
    qs: usize,
    acc: &mut [f64],
    v0: usize,
    mv: usize,
    c0: usize,
    pf: &mut std::ops::Range<*const f64>,
) {
    let r0 = v0 * S::W;
    // SAFETY: forwarded from the caller.
    unsafe {
        match mv {
            1 => tile::<S, 1, NC>(z, qs, acc, r0, c0, pf),
            2 => tile::<S, 2, NC>(z, qs, acc, r0, c0, pf),
            3 => tile::<S, 3, NC>(z, qs, acc, r0, c0, pf),
            4 => tile::<S, 4, NC>(z, qs, acc, r0, c0, pf),
            5 => tile::<S, 5, NC>(z, qs, acc, r0, c0, pf),
            _ => tile::<S, 6, NC>(z, qs, acc, r0, c0, pf),
        }
    }
}

/// `acc[r0 .. r0 + MV·W, c0 .. c0 + NC] += Σₖ z[k, r0..]ᵀ z[k, c0..]`,
/// prefetching from `pf` (advanced by what was prefetched) on the way.
///
/// # Safety
/// `z.len()` is a multiple of `qs`, `r0 + MV·W <= qs`, `c0 + NC <= qs`,
/// `acc.len() >= qs²`, and the CPU has the lanes' features.
#[inline(always)]
unsafe fn tile<S: Lanes, const MV: usize, const NC: usize>(
    z: &[f64],
    qs: usize,
    acc: &mut [f64],
    r0: usize,
    c0: usize,
    pf: &mut std::ops::Range<*const f64>,
) {
    debug_assert!(r0 + MV * S::W <= qs && c0 + NC <= qs && acc.len() >= qs * qs);
    let nk = z.len() / qs;
    let zp = z.as_ptr();
    let ap = acc.as_mut_ptr();
    let at = |v: usize, c: usize| (c0 + c) * qs + r0 + v * S::W;
    // SAFETY: (whole body) every offset below stays inside z (k < nk, column
    // < qs) or inside acc (column < qs, row < qs), by the contract above.
    unsafe {
        // Plain loops, not closures: a closure would not inherit the
        // caller's target features and could keep the intrinsics out of line.
        let zero = S::splat(0.0);
        let mut t = [[zero; NC]; MV];
        for (v, tv) in t.iter_mut().enumerate() {
            for (c, tc) in tv.iter_mut().enumerate() {
                *tc = S::load(ap.add(at(v, c)));
            }
        }
        for k in 0..nk {
            // One cache line of the prefetch range per row, until done.
            if pf.start < pf.end {
                S::prefetch(pf.start);
                pf.start = pf.start.wrapping_add(8);
            }
            let zr = zp.add(k * qs);
            let mut a = [zero; MV];
            for (v, av) in a.iter_mut().enumerate() {
                *av = S::load(zr.add(r0 + v * S::W));
            }
            // Indexed: the tile reads as the register block it is.
            #[allow(clippy::needless_range_loop)]
            for c in 0..NC {
                let b = S::splat(*zr.add(c0 + c));
                for v in 0..MV {
                    t[v][c] = S::fma(a[v], b, t[v][c]);
                }
            }
        }
        for (v, tv) in t.iter().enumerate() {
            for (c, &tc) in tv.iter().enumerate() {
                S::store(ap.add(at(v, c)), tc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::linear::test_data::patterned as data;

    #[test]
    fn kernels_agree_bit_for_bit_and_match_direct_sums() {
        for &(n, d, l, ref cols) in &[
            (1usize, 1usize, 1usize, vec![0usize]),
            (37, 3, 2, vec![1]),
            (300, 30, 2, vec![1]),
            (300, 30, 3, vec![0, 2]),
            (129, 60, 4, vec![3, 0, 1]),
            (70, 9, 1, vec![]),
        ] {
            let (x, y, w) = data(n, d, l);
            let mut shift: Vec<f64> = x[..d].to_vec();
            shift.extend(cols.iter().map(|&c| y[c]));
            let rows = Rows {
                x: &x,
                d,
                y: &y,
                l,
                cols,
                w: &w,
                shift: &shift,
            };
            let q = rows.q();
            let qs = stride(q);
            let z = |i: usize, j: usize| {
                let s = w[i].sqrt();
                if j < d {
                    (x[i * d + j] - shift[j]) * s
                } else if j < q - 1 {
                    (y[i * l + cols[j - d]] - shift[j]) * s
                } else {
                    s
                }
            };
            let reference = accumulate(
                Kernel::Portable,
                &rows,
                3.min(n),
                n,
                &mut Scratch::default(),
            )
            .unwrap();
            for c in 0..q {
                for r in c..q {
                    let direct = (3.min(n)..n).fold(0.0, |a, i| z(i, r).mul_add(z(i, c), a));
                    assert_eq!(
                        reference[c * qs + r].to_bits(),
                        direct.to_bits(),
                        "{n} {d} {r} {c}"
                    );
                }
            }
            // A scratch reused from another range gives the same bits.
            let mut scratch = Scratch::default();
            let _ = accumulate(Kernel::Portable, &rows, 0, n.min(5), &mut scratch);
            let again = accumulate(Kernel::Portable, &rows, 3.min(n), n, &mut scratch).unwrap();
            assert!(again
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
            for kernel in [Kernel::Avx512, Kernel::Avx2] {
                if !kernel.runs_here() {
                    eprintln!("skipped: this CPU cannot run the {kernel:?} kernel");
                    continue;
                }
                let got = accumulate(kernel, &rows, 3.min(n), n, &mut Scratch::default()).unwrap();
                for c in 0..q {
                    for r in c..q {
                        assert_eq!(got[c * qs + r].to_bits(), reference[c * qs + r].to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_inconsistent_rows() {
        let (x, y, w) = data(4, 70, 1);
        let shift = vec![0.0; 71];
        let rows = Rows {
            x: &x,
            d: 70,
            y: &y,
            l: 1,
            cols: &[0],
            w: &w,
            shift: &shift,
        };
        assert!(accumulate(Kernel::Portable, &rows, 0, 4, &mut Scratch::default()).is_none());
        let (x, y, w) = data(4, 3, 1);
        let shift = vec![0.0; 4];
        let rows = Rows {
            x: &x,
            d: 3,
            y: &y,
            l: 1,
            cols: &[1],
            w: &w,
            shift: &shift,
        };
        assert!(accumulate(Kernel::Portable, &rows, 0, 4, &mut Scratch::default()).is_none());
    }
}

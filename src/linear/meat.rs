//! The meat of the sandwich standard errors, `Σ uᵢ² x̃ᵢx̃ᵢᵀ` and
//! `Σ uᵢ x̃ᵢ`, over the selected columns of a row-major design: `x̃ᵢ` the
//! selected values minus their weighted means, `uᵢ = wᵢ eᵢ` with `eᵢ` the
//! residual of the fit.
//!
//! `z` is `[x̃ᵢ·uᵢ, 1]`: its product with itself holds both, the column of
//! ones giving the sums.
//!
//! Narrow selections (the usual 5 to 15 features) go in "dot form": blocks
//! of rows are gathered feature-major (one contiguous run of rows per
//! feature), so that centring, the residuals and the scaling are vertical
//! vector operations over eight rows at a time, with no horizontal sum per
//! row, and the products are dot products along the rows in register tiles
//! of features × features that waste no lanes on padding. Each entry keeps
//! eight partial sums (one per row modulo 8), added in a fixed tree at the
//! end. Every lane of every sum runs over its rows in order with one fused
//! multiply-add per row, whatever the vector width: AVX-512, AVX2 + FMA and
//! the portable kernel give the same bits. Wider selections keep the rows
//! row-major and use the Gram's tiles ([`small_gram::run_meat`]).

use super::small_gram::{self, Kernel, Lanes, Portable, MAX_COLUMNS};

/// The rows of the meat pass.
pub struct MeatRows<'a> {
    /// Row-major n × d.
    pub x: &'a [f64],
    pub d: usize,
    /// The k selected columns (any order).
    pub features: &'a [usize],
    /// Their weighted means (k).
    pub means: &'a [f64],
    /// The fit's coefficients (k).
    pub coef: &'a [f64],
    /// Row-major n × l labels, of which column `col` is fitted.
    pub y: &'a [f64],
    pub l: usize,
    pub col: usize,
    pub y_mean: f64,
    pub w: &'a [f64],
}

/// Rows per block (a multiple of 8): the feature-major block of at most
/// `DOT_MAX` features takes 16 KiB.
const BLOCK: usize = 128;
/// Features per accumulator block.
const FB: usize = 4;
/// The widest `z` (selected features + the column of ones) taken in dot
/// form: beyond it the feature-major gather costs more than the padding the
/// row-major tiles waste.
const DOT_MAX: usize = 16;

/// The meat over rows `start..end`: `(m, s)` with `m` the k × k lower
/// triangle, column-major (`m[c·k + r]`, r >= c), and `s` the k score sums.
/// `None` when the rows are inconsistent or the selection too wide.
pub fn accumulate_meat(
    kernel: Kernel,
    rows: &MeatRows<'_>,
    start: usize,
    end: usize,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let (k, n, d) = (rows.features.len(), rows.w.len(), rows.d);
    let consistent = k > 0
        && k < MAX_COLUMNS
        && rows.means.len() == k
        && rows.coef.len() == k
        && rows.x.len() == n * d
        && rows.features.iter().all(|&f| f < d)
        && rows.col < rows.l
        && rows.y.len() == n * rows.l
        && start <= end
        && end <= n;
    if !consistent {
        return None;
    }
    if k + 1 > DOT_MAX {
        return Some(row_major(kernel, rows, start, end));
    }
    let mut acc = Acc::new(k + 1);
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { x86::avx512(rows, start, end, &mut acc) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma") =>
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { x86::avx2(rows, start, end, &mut acc) }
        }
        _ => run::<Portable, 2>(rows, start, end, &mut acc),
    }
    crate::cpu::clear_upper_state();
    // z's last row is all ones: its products with the others are the sums.
    let mut m = vec![0.0; k * k];
    for c in 0..k {
        for r in c..k {
            m[c * k + r] = acc.total(r, c);
        }
    }
    let s = (0..k).map(|j| acc.total(k, j)).collect();
    Some((m, s))
}

/// Wider selections: rows kept row-major (read in place when the selection
/// is one run of columns), residuals by a per-row dot product, products by
/// the Gram's register tiles ([`small_gram::run_meat`]), whose padding
/// costs little once there are a few vectors of columns.
fn row_major(
    kernel: Kernel,
    rows: &MeatRows<'_>,
    start: usize,
    end: usize,
) -> (Vec<f64>, Vec<f64>) {
    let k = rows.features.len();
    let qs = small_gram::stride(k + 1);
    let mut acc = vec![0.0; qs * qs];
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { x86::rows_avx512(rows, start, end, &mut acc) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma") =>
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { x86::rows_avx2(rows, start, end, &mut acc) }
        }
        _ => small_gram::run_meat::<Portable>(rows, start, end, &mut acc),
    }
    crate::cpu::clear_upper_state();
    let mut m = vec![0.0; k * k];
    for c in 0..k {
        for r in c..k {
            m[c * k + r] = acc[c * qs + r];
        }
    }
    let s = (0..k).map(|j| acc[j * qs + k]).collect();
    (m, s)
}

/// Eight partial sums per entry of the lower triangle of a `q × q`
/// product, in FB × FB blocks (a function of `q` alone).
struct Acc {
    lanes: Vec<f64>,
}

impl Acc {
    fn new(q: usize) -> Acc {
        let nb = q.div_ceil(FB);
        Acc {
            lanes: vec![0.0; nb * (nb + 1) / 2 * FB * FB * 8],
        }
    }

    /// Offset of entry (a, b), a >= b (or both in one diagonal block).
    #[inline(always)]
    fn at(a: usize, b: usize) -> usize {
        let (ba, bb) = (a / FB, b / FB);
        ((ba * (ba + 1) / 2 + bb) * FB * FB + (a % FB) * FB + b % FB) * 8
    }

    /// The eight partial sums of entry (a, b), added in a fixed tree.
    fn total(&self, a: usize, b: usize) -> f64 {
        let t = &self.lanes[Acc::at(a, b)..Acc::at(a, b) + 8];
        ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]))
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::small_gram::run_meat;
    use super::super::small_gram::x86::{Avx2, Avx512};
    use super::{run, Acc, MeatRows};

    #[target_feature(enable = "avx512f")]
    pub(super) fn avx512(rows: &MeatRows<'_>, start: usize, end: usize, acc: &mut Acc) {
        run::<Avx512, 4>(rows, start, end, acc)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn avx2(rows: &MeatRows<'_>, start: usize, end: usize, acc: &mut Acc) {
        run::<Avx2, 2>(rows, start, end, acc)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn rows_avx512(rows: &MeatRows<'_>, start: usize, end: usize, acc: &mut [f64]) {
        run_meat::<Avx512>(rows, start, end, acc)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn rows_avx2(rows: &MeatRows<'_>, start: usize, end: usize, acc: &mut [f64]) {
        run_meat::<Avx2>(rows, start, end, acc)
    }
}

/// The whole pass with one kind of lanes and `TS × TS` register tiles
/// (`TS` divides `FB`).
#[inline(always)]
fn run<S: Lanes, const TS: usize>(rows: &MeatRows<'_>, start: usize, end: usize, acc: &mut Acc) {
    let k = rows.features.len();
    let q = k + 1;
    let qp = q.div_ceil(FB) * FB;
    // Feature-major block: row j holds feature j of BLOCK rows; row k is
    // all ones and rows beyond it zero, never rewritten.
    let mut z = vec![0.0; qp * BLOCK];
    z[k * BLOCK..q * BLOCK].fill(1.0);
    let mut yw = vec![0.0; 2 * BLOCK];
    let mut b0 = start;
    while b0 < end {
        let nb = BLOCK.min(end - b0);
        // SAFETY: rows b0..b0 + nb exist (end <= n, checked with the
        // shapes by the caller), z holds qp × BLOCK values, yw 2 × BLOCK.
        unsafe {
            fill::<S>(rows, b0, nb, &mut z, &mut yw);
            products::<S, TS>(&z, nb.div_ceil(8), q, acc);
        }
        b0 += nb;
    }
}

/// Gathers rows `b0..b0 + nb` feature-major into `z`, centres them, takes
/// the residuals and scales every row by its `uᵢ`. Lanes past `nb` (up to
/// a multiple of 8) get zeros.
///
/// # Safety
/// As [`run`] states; the CPU has the lanes' features.
#[inline(always)]
unsafe fn fill<S: Lanes>(rows: &MeatRows<'_>, b0: usize, nb: usize, z: &mut [f64], yw: &mut [f64]) {
    let (k, d, l) = (rows.features.len(), rows.d, rows.l);
    let n8 = nb.div_ceil(8) * 8;
    let (xp, zp) = (rows.x.as_ptr(), z.as_mut_ptr());
    let (yc, wc) = yw.split_at_mut(BLOCK);
    // SAFETY: (whole body) x[(b0 + r)·d + f] with r < nb and f < d; z rows
    // j < k at offsets below n8 <= BLOCK; y[(b0 + r)·l + col] with col < l;
    // yc, wc below n8 <= BLOCK.
    unsafe {
        // Feature by feature: strided loads, contiguous stores (rows first
        // would scatter).
        let base = xp.add(b0 * d);
        for (j, &f) in rows.features.iter().enumerate() {
            let (src, dst) = (base.add(f), zp.add(j * BLOCK));
            for r in 0..nb {
                *dst.add(r) = *src.add(r * d);
            }
        }
        let yp = rows.y.as_ptr().add(b0 * l + rows.col);
        for (r, yv) in yc[..nb].iter_mut().enumerate() {
            *yv = *yp.add(r * l);
        }
        wc[..nb].copy_from_slice(&rows.w[b0..b0 + nb]);
        for r in nb..n8 {
            for j in 0..k {
                *zp.add(j * BLOCK + r) = 0.0;
            }
            yc[r] = rows.y_mean;
            wc[r] = 0.0;
        }
        let y_mean = S::splat(rows.y_mean);
        for c in (0..n8).step_by(S::W) {
            let mut fit = S::splat(0.0);
            for (j, (&m, &b)) in rows.means.iter().zip(rows.coef).enumerate() {
                let p = zp.add(j * BLOCK + c);
                let v = S::sub(S::load(p), S::splat(m));
                S::store(p, v);
                fit = S::fma(v, S::splat(b), fit);
            }
            let e = S::sub(S::sub(S::load(yc.as_ptr().add(c)), y_mean), fit);
            let u = S::mul(S::load(wc.as_ptr().add(c)), e);
            for j in 0..k {
                let p = zp.add(j * BLOCK + c);
                S::store(p, S::mul(S::load(p), u));
            }
        }
    }
}

/// `acc += z zᵀ` over the block's first `n8 · 8` rows, lower blocks only.
///
/// # Safety
/// `z` holds `q.div_ceil(FB)·FB` rows of BLOCK values, `n8 · 8 <= BLOCK`;
/// the CPU has the lanes' features.
#[inline(always)]
unsafe fn products<S: Lanes, const TS: usize>(z: &[f64], n8: usize, q: usize, acc: &mut Acc) {
    let nt = q.div_ceil(TS);
    for ta in 0..nt {
        for tb in 0..=ta {
            // SAFETY: forwarded; tiles lie within the padded q.
            unsafe {
                if ta == tb {
                    tile::<S, TS, true>(z, n8, ta * TS, tb * TS, acc)
                } else {
                    tile::<S, TS, false>(z, n8, ta * TS, tb * TS, acc)
                }
            };
        }
    }
}

/// One `TS × TS` tile of entries (a0 + i, b0 + j): eight lanes each, over
/// the block's 8-row chunks. A diagonal tile computes its lower half only.
///
/// # Safety
/// As [`products`].
// Indexed: the tile reads as the register block it is.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn tile<S: Lanes, const TS: usize, const DIAG: bool>(
    z: &[f64],
    n8: usize,
    a0: usize,
    b0: usize,
    acc: &mut Acc,
) {
    let per = 8 / S::W;
    let (zp, ap) = (z.as_ptr(), acc.lanes.as_mut_ptr());
    // SAFETY: (whole body) z rows a0 + i, b0 + j < padded q, chunk offsets
    // below n8·8 <= BLOCK; acc entries of the lower blocks (a >= b, or in
    // one diagonal block), lanes below 8.
    unsafe {
        for h in 0..per {
            let zero = S::splat(0.0);
            let mut t = [[zero; TS]; TS];
            for i in 0..TS {
                for j in 0..TS {
                    if !(DIAG && j > i) {
                        t[i][j] = S::load(ap.add(Acc::at(a0 + i, b0 + j) + h * S::W));
                    }
                }
            }
            for c in 0..n8 {
                let o = c * 8 + h * S::W;
                let mut va = [zero; TS];
                let mut vb = [zero; TS];
                for i in 0..TS {
                    va[i] = S::load(zp.add((a0 + i) * BLOCK + o));
                    vb[i] = if DIAG {
                        va[i]
                    } else {
                        S::load(zp.add((b0 + i) * BLOCK + o))
                    };
                }
                for i in 0..TS {
                    for j in 0..TS {
                        if !(DIAG && j > i) {
                            t[i][j] = S::fma(va[i], vb[j], t[i][j]);
                        }
                    }
                }
            }
            for i in 0..TS {
                for j in 0..TS {
                    if !(DIAG && j > i) {
                        S::store(ap.add(Acc::at(a0 + i, b0 + j) + h * S::W), t[i][j]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::linear::test_data::patterned as data;

    /// The meat pass: every kernel gives the same bits, which match a
    /// direct sum to rounding, for gathered and contiguous selections.
    #[test]
    fn meat_kernels_agree_and_match_direct_sums() {
        let (n, d, l) = (203, 30, 2);
        let (x, y, w) = data(n, d, l);
        for features in [
            vec![3usize, 17, 0, 29, 8],
            vec![2, 9, 4, 1, 0, 27, 13, 5, 6, 22, 3, 19],
            (4..14).collect::<Vec<_>>(),
            (0..30).collect(),
            (1..30).collect(),
            vec![29],
        ] {
            let k = features.len();
            let means: Vec<f64> = features.iter().map(|&f| f as f64 * 0.01 - 0.1).collect();
            let coef: Vec<f64> = (0..k).map(|j| (j as f64 - 2.0) * 0.3).collect();
            let rows = MeatRows {
                x: &x,
                d,
                features: &features,
                means: &means,
                coef: &coef,
                y: &y,
                l,
                col: 1,
                y_mean: 2.5,
                w: &w,
            };
            let (acc, s) = accumulate_meat(Kernel::Portable, &rows, 5, n).unwrap();
            let xt = |i: usize, j: usize| x[i * d + features[j]] - means[j];
            let u = |i: usize| {
                let fitted: f64 = (0..k).map(|j| xt(i, j) * coef[j]).sum();
                w[i] * ((y[i * l + 1] - 2.5) - fitted)
            };
            for c in 0..k {
                let want: f64 = (5..n).map(|i| u(i) * xt(i, c)).sum();
                assert!(
                    (s[c] - want).abs() <= 1e-11 * want.abs().max(1.0),
                    "{k} s {c}"
                );
                for r in c..k {
                    let want: f64 = (5..n).map(|i| u(i) * u(i) * xt(i, r) * xt(i, c)).sum();
                    let got = acc[c * k + r];
                    assert!(
                        (got - want).abs() <= 1e-11 * want.abs().max(1.0),
                        "{k} {r} {c}: {got} {want}"
                    );
                }
            }
            for kernel in [Kernel::Avx512, Kernel::Avx2] {
                if !kernel.runs_here() {
                    eprintln!("skipped: this CPU cannot run the {kernel:?} kernel");
                    continue;
                }
                let (a2, s2) = accumulate_meat(kernel, &rows, 5, n).unwrap();
                // the lower triangle (tilings differ above it)
                let lower = (0..k).flat_map(|c| (c..k).map(move |r| c * k + r));
                assert!(
                    lower
                        .into_iter()
                        .all(|i| a2[i].to_bits() == acc[i].to_bits()),
                    "{kernel:?} k={k}"
                );
                assert!(
                    s2.iter().zip(&s).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{kernel:?}"
                );
            }
        }
        let bad = MeatRows {
            x: &x,
            d,
            features: &[30],
            means: &[0.0],
            coef: &[1.0],
            y: &y,
            l,
            col: 1,
            y_mean: 0.0,
            w: &w,
        };
        assert!(accumulate_meat(Kernel::Portable, &bad, 0, n).is_none());
    }
}

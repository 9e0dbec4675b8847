//! CPU state shared by every vectorised kernel.

/// Clears the upper halves of the vector registers (`vzeroupper`).
///
/// Some AVX-512 kernels (faer's matrix products among them) return with that
/// state dirty; every legacy-SSE instruction that then runs on the thread
/// (our baseline-compiled loops, CPython, numpy) pays a penalty, which made
/// the tabular sampler twice as slow after the first local model. Call this
/// after such a kernel; it costs a few cycles.
#[inline]
pub fn clear_upper_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, which is all the instruction needs.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

/// Runs `f` compiled for the widest vector unit found at run time (AVX-512,
/// AVX2 + FMA, or the baseline): `f` and what it inlines (mark the hot
/// functions `#[inline(always)]`) get the wider instruction set. Floating
/// point results do not depend on the path: Rust never fuses a multiply and
/// an add on its own.
#[inline(always)]
pub fn widest<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("bmi2")
        {
            // SAFETY: the CPU supports every feature the function is compiled for.
            return unsafe { x86::avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("bmi2")
        {
            // SAFETY: as above.
            return unsafe { x86::avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi1,bmi2")]
    pub(super) fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,fma,bmi1,bmi2")]
    pub(super) fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

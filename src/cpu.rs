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

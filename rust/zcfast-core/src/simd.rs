//! Which vector instruction set the hot loops are compiled for, chosen once at run time.
//!
//! The kernels are written as plain loops and compiled several times, once per level (see
//! `eval` and `stats`), so one binary runs on any x86-64 CPU and uses the widest vectors the
//! machine has. Every level gives bit-identical results: only IEEE basic operations, square
//! roots and integer operations are used, never fused multiply-add.

/// An instruction-set level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    /// The baseline of the target (SSE2 on x86-64).
    Portable,
    /// AVX2 with FMA, BMI2 and LZCNT (x86-64-v3).
    Avx2,
    /// AVX-512 F/VL/DQ/BW/CD on top of AVX2 (x86-64-v4).
    Avx512,
}

impl SimdLevel {
    /// The widest level this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let v3 = has!("avx2") && has!("fma") && has!("bmi2") && has!("lzcnt");
            let v4 = has!("avx512f")
                && has!("avx512vl")
                && has!("avx512dq")
                && has!("avx512bw")
                && has!("avx512cd");
            if v3 && v4 {
                return SimdLevel::Avx512;
            }
            if v3 {
                return SimdLevel::Avx2;
            }
        }
        SimdLevel::Portable
    }

    /// Every level this CPU can run, narrowest first (for tests that compare them).
    pub fn available() -> Vec<Self> {
        let best = Self::detect();
        [SimdLevel::Portable, SimdLevel::Avx2, SimdLevel::Avx512]
            .into_iter()
            .filter(|l| *l as u8 <= best as u8)
            .collect()
    }
}

/// Defines a method that runs an `#[inline(always)]` method compiled for the level held in
/// `self.simd`, together with the per-level copies it dispatches to:
///
/// ```text
/// simd_dispatch! {
///     /// Docs of the dispatching method.
///     fn sort(&mut self, x: &[f64]) -> bool;
///     copies sort_avx512, sort_avx2 of sort_inline
/// }
/// ```
///
/// The type must only ever hold levels from [`SimdLevel::available`].
macro_rules! simd_dispatch {
    (
        $(#[$attr:meta])*
        fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?;
        copies $avx512:ident, $avx2:ident of $body:ident
    ) => {
        $(#[$attr])*
        fn $name(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            match self.simd {
                // SAFETY: `simd` only holds levels this CPU supports (checked on construction).
                #[cfg(target_arch = "x86_64")]
                $crate::simd::SimdLevel::Avx512 => unsafe { self.$avx512($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                $crate::simd::SimdLevel::Avx2 => unsafe { self.$avx2($($arg),*) },
                _ => self.$body($($arg),*),
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(
            enable = "avx2,fma,bmi2,lzcnt,avx512f,avx512vl,avx512dq,avx512bw,avx512cd"
        )]
        unsafe fn $avx512(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            self.$body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma,bmi2,lzcnt")]
        unsafe fn $avx2(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            self.$body($($arg),*)
        }
    };
}

pub(crate) use simd_dispatch;

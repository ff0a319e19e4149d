//! The primitive functions expression trees are built from, with their protected semantics.
//!
//! Protection follows gplearn's conventions (so published gplearn formulas keep their meaning)
//! with a smaller threshold, because zero-cost proxy values are often far below 1e-3:
//! `div(a, b) = 1` and `log(x) = 0` where `|b|`, `|x|` ≤ [`PROTECT_EPS`]; `log` and `sqrt` act
//! on `|x|`. Anything non-finite that still comes out (overflow) makes the whole output invalid.

use crate::error::{CoreError, Result};
use crate::named::serde_by_name;

/// Magnitude below which `div` and `log` return their protected value.
pub const PROTECT_EPS: f64 = 1e-10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Function {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Abs,
    Log,
    Sqrt,
    Square,
    Min,
    Max,
}

impl Function {
    pub const ALL: [Function; 11] = [
        Function::Add,
        Function::Sub,
        Function::Mul,
        Function::Div,
        Function::Neg,
        Function::Abs,
        Function::Log,
        Function::Sqrt,
        Function::Square,
        Function::Min,
        Function::Max,
    ];

    pub fn arity(self) -> usize {
        match self {
            Function::Neg | Function::Abs | Function::Log | Function::Sqrt | Function::Square => 1,
            _ => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Add => "add",
            Function::Sub => "sub",
            Function::Mul => "mul",
            Function::Div => "div",
            Function::Neg => "neg",
            Function::Abs => "abs",
            Function::Log => "log",
            Function::Sqrt => "sqrt",
            Function::Square => "square",
            Function::Min => "min",
            Function::Max => "max",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| CoreError::unknown("functions", Self::names().join(", "), name))
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|f| f.name()).collect()
    }

    /// Scalar semantics; the vectorised kernels in `eval` must agree with these exactly.
    #[inline(always)]
    pub fn apply1(self, x: f64) -> f64 {
        match self {
            Function::Neg => -x,
            Function::Abs => x.abs(),
            Function::Log => protected_log(x),
            Function::Sqrt => x.abs().sqrt(),
            Function::Square => x * x,
            _ => unreachable!("apply1 on a binary function"),
        }
    }

    #[inline(always)]
    pub fn apply2(self, a: f64, b: f64) -> f64 {
        match self {
            Function::Add => a + b,
            Function::Sub => a - b,
            Function::Mul => a * b,
            Function::Div => protected_div(a, b),
            Function::Min => nan_min(a, b),
            Function::Max => nan_max(a, b),
            _ => unreachable!("apply2 on a unary function"),
        }
    }
}

serde_by_name!(Function);

#[inline(always)]
pub fn protected_div(a: f64, b: f64) -> f64 {
    if b.abs() > PROTECT_EPS {
        a / b
    } else {
        1.0
    }
}

#[inline(always)]
pub fn protected_log(x: f64) -> f64 {
    let m = x.abs();
    if m > PROTECT_EPS {
        crate::fastmath::ln(m)
    } else {
        0.0
    }
}

/// NaN-propagating minimum (like `numpy.minimum`).
#[inline(always)]
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a < b || a.is_nan() {
        a
    } else {
        b
    }
}

/// NaN-propagating maximum (like `numpy.maximum`).
#[inline(always)]
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a > b || a.is_nan() {
        a
    } else {
        b
    }
}

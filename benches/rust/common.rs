//! Shared inputs for the benchmarks: deterministic data and random fixed-size programs.

#![allow(dead_code)] // each bench uses part of this module

use zcfast_core::{Matrix, Program, Units};

pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize % n
    }
}

pub fn matrix(n_rows: usize, n_cols: usize, seed: u64) -> Matrix {
    let mut rng = Lcg::new(seed);
    let data = (0..n_cols)
        .flat_map(|c| (0..n_rows).map(move |_| c))
        .map(|c| (rng.next_f64() * 100.0 + 0.5) * (c as f64 + 1.0))
        .collect();
    Matrix::from_columns(n_rows, n_cols, data).expect("shape")
}

pub fn vector(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Lcg::new(seed);
    (0..n)
        .map(|_| (rng.next_f64() * 1000.0).round() / 10.0)
        .collect()
}

/// A random program of exactly `size` nodes (odd sizes: binary functions and leaves, with
/// unary functions mixed in) over `n_cols` features.
pub fn program(size: usize, n_cols: usize, seed: u64) -> Program {
    const BINARY: [&str; 4] = ["add", "sub", "mul", "div"];
    const UNARY: [&str; 3] = ["log", "sqrt", "neg"];
    let mut rng = Lcg::new(seed);
    loop {
        let mut tokens: Vec<String> = Vec::new();
        let mut stack = 0usize;
        while tokens.len() < size {
            let left = size - tokens.len();
            // Leaves still needed to close the program with binary functions.
            let choice = rng.below(3);
            if stack >= 2 && (choice == 0 || left < stack) {
                tokens.push(BINARY[rng.below(4)].to_string());
                stack -= 1;
            } else if stack >= 1 && choice == 1 && left > stack {
                tokens.push(UNARY[rng.below(3)].to_string());
            } else if left > stack {
                tokens.push(format!("x{}", rng.below(n_cols)));
                stack += 1;
            } else {
                break;
            }
        }
        if stack == 1 && tokens.len() == size {
            if let Ok(p) = Program::from_tokens(&tokens) {
                return p;
            }
        }
    }
}

/// Average ranks (1-based, ties averaged) the textbook way: sort an index vector with
/// comparisons, then walk runs of equal values.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[i].partial_cmp(&x[j]).expect("finite"));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman the textbook way: average ranks of both inputs, Pearson of the ranks. The
/// baseline the core's kernel is compared with, and an oracle for the tests.
pub fn plain_spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = a.len() as f64;
    let m = (n + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - m) * (y - m);
        va += (x - m) * (x - m);
        vb += (y - m) * (y - m);
    }
    cov / (va * vb).sqrt()
}

/// A layer table of `n_archs` architectures with `layers` layers each (all alike, so that the
/// benchmark's size is exact) and `n_cols` positive features.
pub fn layer_table(n_archs: usize, layers: usize, n_cols: usize, seed: u64) -> Units {
    let offsets = (0..=n_archs).map(|a| a * layers).collect();
    Units::grouped(matrix(n_archs * layers, n_cols, seed), offsets).expect("offsets")
}

/// Random layer-wise programs of about `size` nodes: every other one a single reduction of a
/// random expression, the others a ratio of two reductions.
pub fn layerwise_program(size: usize, n_cols: usize, seed: u64) -> Program {
    const REDUCERS: [&str; 5] = [
        "sum_layers",
        "mean_layers",
        "max_layers",
        "min_layers",
        "meanlog_layers",
    ];
    let mut rng = Lcg::new(seed);
    let reduced = |size: usize, rng: &mut Lcg| {
        let mut tokens = program(size, n_cols, rng.below(1 << 30) as u64).to_tokens();
        tokens.push(REDUCERS[rng.below(REDUCERS.len())].to_string());
        tokens
    };
    let tokens = if seed.is_multiple_of(2) {
        reduced(size - 1, &mut rng)
    } else {
        let half = ((size - 3) / 2) | 1;
        let mut t = reduced(half, &mut rng);
        t.extend(reduced(half, &mut rng));
        t.push("div".to_string());
        t
    };
    Program::from_tokens(&tokens).expect("valid layer-wise program")
}

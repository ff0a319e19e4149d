//! Rank-correlation kernels, tree evaluation and fitness throughput.
//!
//! `cargo bench -p zcfast-core --bench kernels`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use zcfast_core::eval::{evaluate_row, Evaluator};
use zcfast_core::fitness::{score, Scratch};
use zcfast_core::stats::{self, RankScratch, RankedTarget};
use zcfast_core::{Aggregate, Metric, Task};

#[path = "common.rs"]
mod common;

const SIZES: [usize; 2] = [1_000, 15_625];

fn correlation(c: &mut Criterion) {
    for (name, is_kendall) in [("spearman", false), ("kendall", true)] {
        let mut group = c.benchmark_group(name);
        for n in SIZES {
            let x = common::vector(n, 1);
            let y = common::vector(n, 2);
            group.throughput(Throughput::Elements(n as u64));
            let target = RankedTarget::new(&y, "y").expect("valid");
            let mut scratch = RankScratch::new();
            // The fitness path: target ranked once, only the candidate is sorted per call.
            group.bench_with_input(BenchmarkId::new("fitness", n), &n, |b, _| {
                b.iter(|| {
                    if is_kendall {
                        target.kendall(black_box(&x), &mut scratch)
                    } else {
                        target.spearman(black_box(&x), &mut scratch)
                    }
                })
            });
            // The public two-sided function (both inputs ranked per call).
            group.bench_with_input(BenchmarkId::new("pair", n), &n, |b, _| {
                b.iter(|| {
                    if is_kendall {
                        stats::kendall(black_box(&x), black_box(&y))
                    } else {
                        stats::spearman(black_box(&x), black_box(&y))
                    }
                })
            });
            if !is_kendall {
                group.bench_with_input(BenchmarkId::new("plain", n), &n, |b, _| {
                    b.iter(|| common::plain_spearman(black_box(&x), black_box(&y)))
                });
            }
        }
        group.finish();
    }
}

fn evaluation(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate_21_nodes");
    for n in SIZES {
        let data = common::matrix(n, 13, 3);
        let program = common::program(21, 13, 4);
        let mut ev = Evaluator::new();
        let mut out = vec![0.0; n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| ev.evaluate_nodes_into(black_box(program.nodes()), &data, &mut out))
        });
    }
    group.finish();
}

/// Programs scored per second (evaluation + Spearman) on two threads, 20-node trees.
fn throughput(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let mut group = c.benchmark_group("fitness_throughput_2_threads");
    for n in SIZES {
        let task =
            Task::flat(common::matrix(n, 13, 5), common::vector(n, 6), "targets").expect("task");
        let tasks = [task];
        let programs: Vec<_> = (0..512).map(|s| common::program(20, 13, 100 + s)).collect();
        group.throughput(Throughput::Elements(programs.len() as u64));
        group.bench_with_input(BenchmarkId::new("zcfast", n), &n, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    programs
                        .par_iter()
                        .map_init(Scratch::new, |s, p| {
                            score(p, &tasks, Metric::Spearman.into(), Aggregate::Mean, s)
                        })
                        .collect::<Vec<_>>()
                })
            })
        });
        // Evaluation alone: the ceiling that ranking is added to.
        group.bench_with_input(BenchmarkId::new("evaluate_only", n), &n, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    programs
                        .par_iter()
                        .map_init(
                            || (Evaluator::new(), vec![0.0; n]),
                            |(ev, out), p| {
                                ev.evaluate_nodes_into(p.nodes(), tasks[0].data(), out);
                                out[0]
                            },
                        )
                        .collect::<Vec<_>>()
                })
            })
        });
        // Baseline: the same work done plainly (row-by-row tree walk, textbook Spearman),
        // parallelised the same way.
        let data = tasks[0].data();
        let targets = tasks[0].targets();
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|r| (0..13).map(|c| data.column(c)[r]).collect())
            .collect();
        group.bench_with_input(BenchmarkId::new("plain", n), &n, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    programs
                        .par_iter()
                        .map(|p| {
                            let out: Vec<f64> = rows.iter().map(|r| evaluate_row(p, r)).collect();
                            if out.iter().all(|v| v.is_finite()) {
                                common::plain_spearman(&out, targets)
                            } else {
                                f64::NEG_INFINITY
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, correlation, evaluation, throughput);
criterion_main!(benches);

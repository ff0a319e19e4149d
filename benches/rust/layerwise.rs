//! Layer-wise fitness: 1,000 architectures × 30 layers, random ~20-node layer-wise programs,
//! Spearman against the architectures' targets, two threads.
//!
//! `zcfast` runs the pipeline on the whole table (each reduction's operand evaluated over all
//! units in blocks, reduced by offsets); the baseline, in the same run, does what a
//! per-architecture implementation does: copy each architecture's rows out into their own
//! table and evaluate the program on it, one architecture at a time, then rank the same way.
//!
//! `cargo bench -p zcfast-core --bench layerwise`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use zcfast_core::fitness::{score, Scratch};
use zcfast_core::stats::{RankScratch, RankedTarget};
use zcfast_core::{Aggregate, ArchEvaluator, Metric, Program, Task, Units};

#[path = "common.rs"]
mod common;

const ARCHS: usize = 1_000;
const LAYERS: usize = 30;
const COLUMNS: usize = 20;
const PROGRAM_SIZE: usize = 20;

/// The baseline: one copied table and one evaluation per architecture.
fn per_architecture_fitness(
    program: &Program,
    units: &Units,
    target: &RankedTarget,
    scratch: &mut (ArchEvaluator, RankScratch),
) -> Option<f64> {
    let offsets = units.offsets().expect("a layer table");
    let values: Vec<f64> = offsets
        .windows(2)
        .map(|w| {
            let rows: Vec<usize> = (w[0]..w[1]).collect();
            let arch = Units::grouped(units.data().select_rows(&rows), vec![0, rows.len()])
                .expect("offsets");
            scratch.0.evaluate(program, &arch).expect("fits")[0]
        })
        .collect();
    target.spearman(&values, &mut scratch.1)
}

fn layerwise_fitness(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let units = common::layer_table(ARCHS, LAYERS, COLUMNS, 11);
    let targets = common::vector(ARCHS, 12);
    let ranked = RankedTarget::new(&targets, "targets").expect("targets");
    let tasks = [Task::new(units.clone(), targets, "targets").expect("task")];
    let programs: Vec<Program> = (0..256)
        .map(|s| common::layerwise_program(PROGRAM_SIZE, COLUMNS, 300 + s))
        .collect();
    let mut group = c.benchmark_group("layerwise_fitness_2_threads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(programs.len() as u64));
    let label = format!("{ARCHS}x{LAYERS}");
    group.bench_with_input(BenchmarkId::new("zcfast", &label), &(), |b, _| {
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
    group.bench_with_input(BenchmarkId::new("per_architecture", &label), &(), |b, _| {
        b.iter(|| {
            pool.install(|| {
                programs
                    .par_iter()
                    .map_init(
                        || (ArchEvaluator::new(), RankScratch::new()),
                        |s, p| per_architecture_fitness(p, &units, &ranked, s),
                    )
                    .collect::<Vec<_>>()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, layerwise_fitness);
criterion_main!(benches);

//! One generation of evolution (selection, variation, scoring) on two threads.
//!
//! `cargo bench -p zcfast-core --bench evolution`

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use zcfast_core::{Config, Evolver, Task};

#[path = "common.rs"]
mod common;

fn generation(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let mut group = c.benchmark_group("generation_pop_1000");
    group.sample_size(20);
    for n in [100usize, 1_000] {
        let task =
            Task::flat(common::matrix(n, 13, 7), common::vector(n, 8), "targets").expect("task");
        let config = Config {
            population_size: 1000,
            seed: 1,
            ..Config::default()
        };
        // Start from a population that has evolved a little, as in a real run.
        let mut warm = Evolver::new(config, vec![task]).expect("valid");
        pool.install(|| {
            for _ in 0..5 {
                warm.step();
            }
        });
        group.throughput(Throughput::Elements(1000));
        group.bench_with_input(BenchmarkId::new("rows", n), &n, |b, _| {
            b.iter_batched(
                || clone_evolver(&warm),
                |mut ev| pool.install(|| ev.step().evaluations),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn clone_evolver(ev: &Evolver) -> Evolver {
    ev.clone()
}

criterion_group!(benches, generation);
criterion_main!(benches);

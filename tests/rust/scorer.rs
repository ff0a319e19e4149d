//! The fitness backend seam: the default scorer's results are pinned, and the engine takes its
//! fitness from whatever `Scorer` it is given.

use zcfast_core::gp::Batch;
use zcfast_core::{
    Aggregate, Config, CoreError, Evolver, Matrix, Metric, Program, Result, Scorer, SimdScorer,
    Task, Units,
};

/// Columns of noise in (0.1, 10.1); the target rises with x0 * x1 / x2.
fn synthetic(n: usize, seed: u64) -> (Matrix, Vec<f64>) {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let cols: Vec<Vec<f64>> = (0..5)
        .map(|_| (0..n).map(|_| next() * 10.0 + 0.1).collect())
        .collect();
    let y = (0..n)
        .map(|r| cols[0][r] * cols[1][r] / cols[2][r])
        .collect();
    (Matrix::from_columns(n, 5, cols.concat()).expect("shape"), y)
}

/// A layer table of architectures with 2 to 6 layers; the target sums x0 * x1 over layers.
fn layers(n_archs: usize, seed: u64) -> Task {
    let (m, _) = synthetic(n_archs * 6, seed);
    let mut offsets = vec![0];
    for a in 0..n_archs {
        offsets.push(offsets[a] + 2 + a % 5);
    }
    let rows: Vec<usize> = (0..offsets[n_archs]).collect();
    let y = offsets
        .windows(2)
        .map(|w| (w[0]..w[1]).map(|r| m.column(0)[r] * m.column(1)[r]).sum())
        .collect();
    let units = Units::grouped(m.select_rows(&rows), offsets).expect("offsets");
    Task::new(units, y, "targets").expect("task")
}

fn flat(n: usize, seed: u64) -> Task {
    let (m, y) = synthetic(n, seed);
    Task::flat(m, y, "targets").expect("task")
}

/// The runs whose results are pinned: flat, layer-wise with validation, multi-task with a
/// top-weighted metric, and one big enough to be scored on threads.
fn cases() -> Vec<(&'static str, Config, Vec<Task>, usize)> {
    let base = |seed| Config {
        population_size: 300,
        seed,
        ..Config::default()
    };
    vec![
        ("flat", base(3), vec![flat(150, 1)], 12),
        (
            "layer-wise, validation",
            Config {
                validation_fraction: Some(0.25),
                fitness: Metric::Kendall,
                ..base(5)
            },
            vec![layers(80, 21)],
            10,
        ),
        (
            "two tasks, min, ndcg",
            Config {
                aggregate: Aggregate::Min,
                fitness: Metric::Ndcg,
                ..base(7)
            },
            vec![flat(100, 7), flat(80, 8)],
            8,
        ),
        (
            "parallel",
            Config {
                population_size: 1000,
                ..base(9)
            },
            vec![flat(260, 9)],
            4,
        ),
    ]
}

/// FNV-1a over every generation's statistics and the final population, front and best.
fn fingerprint<S: Scorer>(ev: &Evolver<S>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for s in ev.history() {
        for v in [
            s.best_fitness,
            s.mean_fitness,
            s.mean_size,
            s.invalid_fraction,
        ] {
            eat(&v.to_bits().to_le_bytes());
        }
        eat(&(s.evaluations as u64).to_le_bytes());
        eat(&s
            .best_validation_fitness
            .map_or(0, f64::to_bits)
            .to_le_bytes());
    }
    let best = ev.best().into_iter();
    for ind in ev
        .population()
        .iter()
        .cloned()
        .chain(ev.front())
        .chain(best)
    {
        eat(ind.program.to_tokens().join(" ").as_bytes());
        eat(&ind.fitness.to_bits().to_le_bytes());
    }
    h
}

fn run<S: Scorer>(mut ev: Evolver<S>, generations: usize, threads: usize) -> Evolver<S> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    pool.install(|| {
        for _ in 0..generations {
            ev.step();
        }
    });
    ev
}

/// Fingerprints of [`cases`], recorded with the engine before the scorer seam existed.
const PINNED: [u64; 4] = [
    0x27b9_4970_7fda_ddbd,
    0x1316_596c_254a_3343,
    0x2cb5_3e48_0f5b_5851,
    0x21d1_c908_8439_fc0d,
];

#[test]
fn default_scorer_gives_the_results_of_before() {
    for threads in [1, 2] {
        for ((name, cfg, tasks, gens), pinned) in cases().into_iter().zip(PINNED) {
            let ev = Evolver::new(cfg.clone(), tasks.clone()).expect("valid");
            let ev = run(ev, gens, threads);
            assert_eq!(fingerprint(&ev), pinned, "{name}, {threads} threads");
            let explicit = Evolver::with_scorer(cfg, tasks, SimdScorer).expect("valid");
            let explicit = run(explicit, gens, threads);
            assert_eq!(
                fingerprint(&explicit),
                pinned,
                "{name}, explicit SimdScorer"
            );
        }
    }
}

/// The default scorer, counting what the engine hands it.
#[derive(Clone, Default)]
struct Counting {
    prepared_rows: Vec<usize>,
    batches: usize,
    programs: usize,
    parallel: Vec<bool>,
}

impl Scorer for Counting {
    fn prepare(&mut self, tasks: &[Task]) -> Result<()> {
        self.prepared_rows = tasks.iter().map(Task::n_archs).collect();
        SimdScorer.prepare(tasks)
    }

    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64> {
        self.batches += 1;
        self.programs += batch.programs.len();
        self.parallel.push(batch.parallel);
        SimdScorer.score(batch)
    }
}

#[test]
fn the_engine_scores_through_the_scorer_it_is_given() {
    for (name, cfg, tasks, gens) in cases() {
        let counted = Evolver::with_scorer(cfg.clone(), tasks.clone(), Counting::default());
        let counted = run(counted.expect("valid"), gens, 2);
        let plain = run(
            Evolver::new(cfg.clone(), tasks.clone()).expect("valid"),
            gens,
            2,
        );
        let scorer = counted.scorer();
        assert_eq!(scorer.batches, gens, "{name}: one batch per generation");
        let evaluations: usize = counted.history().iter().map(|s| s.evaluations).sum();
        assert_eq!(scorer.programs, evaluations, "{name}");
        assert!(
            evaluations < gens * cfg.population_size,
            "{name}: duplicates skipped"
        );
        assert!(scorer.parallel.iter().all(|&p| p == plain.is_parallel()));
        // the training rows only, after the validation split
        let train_rows: Vec<usize> = match cfg.validation_fraction {
            None => tasks.iter().map(Task::n_archs).collect(),
            Some(_) => vec![60],
        };
        assert_eq!(scorer.prepared_rows, train_rows, "{name}");
        assert_eq!(fingerprint(&counted), fingerprint(&plain), "{name}");
        assert_eq!(counted.history(), plain.history());
        assert_eq!(counted.best(), plain.best());
    }
}

/// Not a correlation at all: shorter is fitter, and programs reading `x4` are invalid, as
/// are constants (NaN, which the engine must read as the worst fitness).
#[derive(Clone)]
struct Shortest;

impl Scorer for Shortest {
    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64> {
        batch
            .programs
            .iter()
            .map(|p| match p.max_feature() {
                None => f64::NAN,
                Some(_) if p.to_tokens().iter().any(|t| t == "x4") => f64::NEG_INFINITY,
                Some(_) => 1.0 / p.len() as f64,
            })
            .collect()
    }
}

#[test]
fn fitness_comes_from_the_scorer_and_invalid_values_rank_last() {
    let (_, cfg, tasks, _) = cases().swap_remove(0);
    let ev = run(
        Evolver::with_scorer(cfg, tasks, Shortest).expect("valid"),
        6,
        1,
    );
    for ind in ev.population() {
        let reads_x4 = ind.program.to_tokens().iter().any(|t| t == "x4");
        if ind.program.max_feature().is_none() || reads_x4 {
            assert_eq!(ind.fitness, f64::NEG_INFINITY, "{:?}", ind.program);
        } else {
            assert_eq!(ind.fitness, 1.0 / ind.program.len() as f64);
        }
    }
    let best = ev.best().expect("best");
    assert_eq!((best.program.len(), best.fitness), (1, 1.0));
    assert_ne!(best.program.to_tokens(), ["x4"]);
}

/// Claims a device it does not have.
#[derive(Clone)]
struct NoDevice;

impl Scorer for NoDevice {
    fn prepare(&mut self, _tasks: &[Task]) -> Result<()> {
        Err(CoreError::config("device", "an available device", "none"))
    }

    fn score(&mut self, _batch: &Batch<'_>) -> Vec<f64> {
        unreachable!("never prepared")
    }
}

/// Drops the last program's fitness.
#[derive(Clone)]
struct OneShort;

impl Scorer for OneShort {
    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64> {
        vec![0.5; batch.programs.len().saturating_sub(1)]
    }
}

#[test]
fn a_scorer_that_cannot_run_fails_construction() {
    let (_, cfg, tasks, _) = cases().swap_remove(0);
    let err = Evolver::with_scorer(cfg, tasks, NoDevice).err();
    assert!(matches!(err, Some(CoreError::Config { .. })), "{err:?}");
}

#[test]
#[should_panic(expected = "one fitness per program")]
fn a_result_of_the_wrong_length_is_a_bug() {
    let (_, cfg, tasks, _) = cases().swap_remove(0);
    Evolver::with_scorer(cfg, tasks, OneShort)
        .expect("valid")
        .step();
}

/// Records every batch.
#[derive(Clone, Default)]
struct Recording(Vec<Vec<Program>>);

impl Scorer for Recording {
    fn score(&mut self, batch: &Batch<'_>) -> Vec<f64> {
        self.0
            .push(batch.programs.iter().map(|&p| p.clone()).collect());
        SimdScorer.score(batch)
    }
}

#[test]
fn programs_reach_the_scorer_distinct_and_not_in_the_previous_generation() {
    let (_, cfg, tasks, _) = cases().swap_remove(0);
    let mut ev = Evolver::with_scorer(cfg, tasks, Recording::default()).expect("valid");
    let mut previous: Vec<Program> = Vec::new();
    for g in 0..6 {
        ev.step();
        let batch = &ev.scorer().0[g];
        let mut tokens: Vec<Vec<String>> = batch.iter().map(Program::to_tokens).collect();
        tokens.sort();
        tokens.dedup();
        assert_eq!(tokens.len(), batch.len(), "generation {g}: duplicates");
        assert!(
            batch.iter().all(|p| !previous.contains(p)),
            "generation {g}"
        );
        previous = ev.population().iter().map(|i| i.program.clone()).collect();
    }
}

//! The evolution loop end to end on synthetic data with a known answer.

use zcfast_core::{Aggregate, Config, Evolver, Matrix, Metric, Program, Task, Units};

/// Targets that a small formula of the columns ranks perfectly, plus noise columns.
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
    // accuracy rises with x0 * x1 / x2
    let y: Vec<f64> = (0..n)
        .map(|r| cols[0][r] * cols[1][r] / cols[2][r])
        .collect();
    let data: Vec<f64> = cols.concat();
    (Matrix::from_columns(n, 5, data).expect("shape"), y)
}

fn config(seed: u64) -> Config {
    Config {
        population_size: 300,
        seed,
        ..Config::default()
    }
}

fn run(config: Config, tasks: Vec<Task>, generations: usize, threads: usize) -> Evolver {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let mut ev = Evolver::new(config, tasks).expect("valid");
    pool.install(|| {
        for _ in 0..generations {
            ev.step();
        }
    });
    ev
}

#[test]
fn finds_a_perfect_ranking() {
    let (m, y) = synthetic(200, 1);
    let ev = run(
        config(3),
        vec![Task::flat(m, y, "targets").expect("task")],
        30,
        2,
    );
    let best = ev.best().expect("a best individual");
    assert!(best.fitness > 0.99, "fitness {}", best.fitness);
    let history = ev.history();
    assert_eq!(history.len(), 30);
    assert!(history
        .windows(2)
        .all(|w| w[1].best_fitness >= w[0].best_fitness - 0.01));
}

#[test]
fn same_seed_same_result_for_any_thread_count() {
    let (m, y) = synthetic(150, 2);
    let task = Task::flat(m, y, "targets").expect("task");
    let a = run(config(11), vec![task.clone()], 15, 1);
    let b = run(config(11), vec![task.clone()], 15, 2);
    let c = run(config(11), vec![task.clone()], 15, 4);
    assert_eq!(a.best(), b.best());
    assert_eq!(a.best(), c.best());
    assert_eq!(a.history(), b.history());
    assert_eq!(a.front(), c.front());
    let d = run(config(12), vec![task], 15, 2);
    assert_ne!(
        a.population(),
        d.population(),
        "a different seed explores differently"
    );
}

#[test]
fn front_is_pareto_optimal_and_within_limits() {
    let (m, y) = synthetic(120, 4);
    let cfg = Config {
        max_size: 15,
        init_depth: (1, 3), // full trees of depth 3 have 15 nodes
        ..config(5)
    };
    let ev = run(cfg, vec![Task::flat(m, y, "targets").expect("task")], 10, 2);
    let front = ev.front();
    assert!(!front.is_empty());
    for w in front.windows(2) {
        assert!(w[0].program.len() < w[1].program.len());
        assert!(w[0].fitness < w[1].fitness);
    }
    assert!(ev.population().iter().all(|i| i.program.len() <= 15));
}

#[test]
fn multi_task_min_is_at_most_mean() {
    let (m1, y1) = synthetic(100, 7);
    let (m2, y2) = synthetic(80, 8);
    let tasks = vec![
        Task::flat(m1, y1, "targets[0]").expect("task"),
        Task::flat(m2, y2, "targets[1]").expect("task"),
    ];
    let mean = run(config(1), tasks.clone(), 8, 2);
    let min_cfg = Config {
        aggregate: Aggregate::Min,
        ..config(1)
    };
    let min = run(min_cfg, tasks, 8, 2);
    let best = min.best().expect("best");
    let (per_task, _) = min.task_scores(&best.program).expect("fits");
    let lowest = per_task
        .iter()
        .map(|s| s.expect("valid"))
        .fold(f64::INFINITY, f64::min);
    assert!((best.fitness - lowest).abs() < 1e-12);
    let best_mean = mean.best().expect("best");
    let (per_task, _) = mean.task_scores(&best_mean.program).expect("fits");
    let avg = per_task.iter().map(|s| s.expect("valid")).sum::<f64>() / 2.0;
    assert!((best_mean.fitness - avg).abs() < 1e-12);
}

#[test]
fn validation_split_is_reported_and_used() {
    let (m, y) = synthetic(100, 9);
    let cfg = Config {
        validation_fraction: Some(0.25),
        fitness: Metric::Kendall,
        ..config(2)
    };
    let ev = run(cfg, vec![Task::flat(m, y, "targets").expect("task")], 6, 2);
    let rows = &ev.validation_rows()[0];
    assert_eq!(rows.len(), 25);
    assert!(rows.windows(2).all(|w| w[0] < w[1]));
    let best = ev.best().expect("best");
    let v = best.validation_fitness.expect("validation fitness");
    for ind in ev.front() {
        assert!(ind.validation_fitness.expect("validated") <= v + 1e-12);
    }
}

#[test]
fn constant_and_sentinel_columns_never_break_a_run() {
    let n = 60;
    let (m, y) = synthetic(n, 10);
    let mut data: Vec<f64> = (0..5).flat_map(|c| m.column(c).to_vec()).collect();
    data.extend(std::iter::repeat_n(3.0, n)); // constant column
    data.extend((0..n).map(|r| if r % 7 == 0 { -1e8 } else { r as f64 })); // sentinel column
    let m = Matrix::from_columns(n, 7, data).expect("shape");
    let ev = run(
        config(4),
        vec![Task::flat(m, y, "targets").expect("task")],
        5,
        2,
    );
    assert!(ev.best().expect("best").fitness.is_finite());
}

#[test]
fn bad_settings_and_tasks_are_errors_not_panics() {
    let (m, y) = synthetic(10, 1);
    assert!(Task::flat(m.clone(), y[..9].to_vec(), "targets").is_err());
    assert!(Task::flat(m.clone(), vec![1.0; 10], "targets").is_err());
    let task = Task::flat(m, y, "targets").expect("task");
    for cfg in [
        Config {
            population_size: 0,
            ..Config::default()
        },
        Config {
            max_size: 0,
            ..Config::default()
        },
        Config {
            crossover: 1.5,
            ..Config::default()
        },
        Config {
            functions: vec![],
            ..Config::default()
        },
        Config {
            parsimony: f64::NAN,
            ..Config::default()
        },
        Config {
            validation_fraction: Some(1.0),
            ..Config::default()
        },
        Config {
            init_depth: (5, 2),
            ..Config::default()
        },
        Config {
            constants: Some((1.0, 1.0)),
            ..Config::default()
        },
        Config {
            // full trees of depth 30 would have 2^31 - 1 nodes
            functions: vec![zcfast_core::Function::Add],
            init_depth: (30, 30),
            max_depth: 30,
            ..Config::default()
        },
        Config {
            population_size: 1 << 40,
            ..Config::default()
        },
        Config {
            max_depth: 10_000_000,
            init_depth: (1, 4),
            ..Config::default()
        },
    ] {
        assert!(Evolver::new(cfg, vec![task.clone()]).is_err());
    }
    let small = Config {
        validation_fraction: Some(0.1),
        ..Config::default()
    };
    assert!(
        Evolver::new(small, vec![task]).is_err(),
        "1 validation row is too few"
    );
}

/// A layer table whose architectures have 2 to 6 layers; the target is the sum over layers of
/// `x0 * x1`, which a layer-wise program can rank perfectly and no single column can.
fn synthetic_layers(n_archs: usize, seed: u64) -> (Units, Vec<f64>) {
    let (m, _) = synthetic(n_archs * 6, seed);
    let mut offsets = vec![0];
    for a in 0..n_archs {
        offsets.push(offsets[a] + 2 + a % 5);
    }
    let n_units = offsets[n_archs];
    let rows: Vec<usize> = (0..n_units).collect();
    let units = Units::grouped(m.select_rows(&rows), offsets.clone()).expect("offsets");
    let y = offsets
        .windows(2)
        .map(|w| (w[0]..w[1]).map(|r| m.column(0)[r] * m.column(1)[r]).sum())
        .collect();
    (units, y)
}

#[test]
fn layer_wise_evolution_finds_a_reduced_formula_deterministically() {
    let (units, y) = synthetic_layers(120, 21);
    let task = Task::new(units, y, "targets").expect("task");
    let a = run(config(5), vec![task.clone()], 25, 1);
    let b = run(config(5), vec![task], 25, 2);
    let best = a.best().expect("best");
    assert!(a.is_layerwise() && best.program.is_layerwise());
    assert!(best.fitness > 0.97, "fitness {}", best.fitness);
    assert_eq!(a.best(), b.best());
    assert_eq!(a.history(), b.history());
    for ind in a.population() {
        assert!(ind.program.is_layerwise() || ind.program.max_feature().is_none());
    }
}

#[test]
fn layer_wise_validation_splits_by_architecture() {
    let (units, y) = synthetic_layers(80, 22);
    let cfg = Config {
        validation_fraction: Some(0.25),
        ..config(6)
    };
    let ev = run(
        cfg,
        vec![Task::new(units, y, "targets").expect("task")],
        5,
        2,
    );
    assert_eq!(ev.validation_rows()[0].len(), 20);
    assert!(ev.best().expect("best").validation_fitness.is_some());
}

#[test]
fn mixed_tables_and_missing_reducers_are_errors() {
    let (units, y) = synthetic_layers(20, 23);
    let layers = Task::new(units, y, "targets").expect("task");
    let (m, y) = synthetic(20, 24);
    let flat = Task::flat(m, y, "targets").expect("task");
    assert!(Evolver::new(config(1), vec![flat, layers.clone()]).is_err());
    let no_reducers = Config {
        reducers: vec![],
        ..config(1)
    };
    assert!(Evolver::new(no_reducers, vec![layers.clone()]).is_err());
    let ev = Evolver::new(config(1), vec![layers]).expect("valid");
    let flat_program = Program::from_tokens(&["x0"]).expect("valid");
    assert!(ev.task_scores(&flat_program).is_err());
}

//! Genetic programming over [`Program`](crate::program::Program)s.

mod config;
mod engine;
mod front;
mod operators;
mod scorer;

pub use config::Config;
pub use engine::{Evolver, GenerationStats, Individual};
pub use front::Front;
pub use scorer::{Batch, Scorer, SimdScorer};

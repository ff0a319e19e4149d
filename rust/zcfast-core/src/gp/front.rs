//! The best expression found for each size (PySR's hall of fame) and its Pareto front.

use crate::program::Program;

/// Best training fitness seen for every program size from 1 to `max_size`.
#[derive(Clone, Debug)]
pub struct Front {
    best_by_size: Vec<Option<(f64, Program)>>,
}

impl Front {
    pub fn new(max_size: usize) -> Self {
        Self {
            best_by_size: vec![None; max_size + 1],
        }
    }

    /// Records a scored program; the first program to reach a fitness keeps its place.
    pub fn offer(&mut self, program: &Program, fitness: f64) {
        if !fitness.is_finite() {
            return;
        }
        let Some(slot) = self.best_by_size.get_mut(program.len()) else {
            return;
        };
        if slot.as_ref().is_none_or(|(f, _)| fitness > *f) {
            *slot = Some((fitness, program.clone()));
        }
    }

    /// The Pareto-optimal entries, by increasing size: each is strictly fitter than every
    /// smaller one.
    pub fn pareto(&self) -> Vec<(f64, Program)> {
        let mut out: Vec<(f64, Program)> = Vec::new();
        for (fitness, program) in self.best_by_size.iter().flatten() {
            if out.last().is_none_or(|(f, _)| fitness > f) {
                out.push((*fitness, program.clone()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_keeps_only_improvements() {
        let p1 = Program::from_tokens(&["x0"]).expect("ok");
        let p3 = Program::from_tokens(&["x0", "x1", "add"]).expect("ok");
        let p3b = Program::from_tokens(&["x0", "x1", "mul"]).expect("ok");
        let p5 = Program::from_tokens(&["x0", "x1", "add", "x2", "mul"]).expect("ok");
        let mut front = Front::new(10);
        front.offer(&p1, 0.5);
        front.offer(&p3, 0.7);
        front.offer(&p3b, 0.6);
        front.offer(&p5, 0.65);
        let pareto = front.pareto();
        assert_eq!(pareto.len(), 2);
        assert_eq!(pareto[1].1, p3);
    }
}

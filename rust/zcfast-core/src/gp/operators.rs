//! Initialisation, selection and variation on postfix programs.
//!
//! Subtrees are contiguous slices in postfix order, so every operator is a splice: the subtree
//! rooted at node `i` is `nodes[i + 1 - size[i] ..= i]`.

use crate::function::Function;
use crate::program::{depth, Node, Program};
use crate::rng::Rng;

/// What programs may be built from.
pub(crate) struct Primitives<'a> {
    pub unary: Vec<Function>,
    pub binary: Vec<Function>,
    pub n_features: usize,
    pub constants: Option<(f64, f64)>,
    pub all: &'a [Function],
}

impl<'a> Primitives<'a> {
    pub fn new(
        functions: &'a [Function],
        n_features: usize,
        constants: Option<(f64, f64)>,
    ) -> Self {
        Self {
            unary: functions
                .iter()
                .copied()
                .filter(|f| f.arity() == 1)
                .collect(),
            binary: functions
                .iter()
                .copied()
                .filter(|f| f.arity() == 2)
                .collect(),
            n_features,
            constants,
            all: functions,
        }
    }

    fn n_terminals(&self) -> usize {
        self.n_features + usize::from(self.constants.is_some())
    }

    pub fn terminal(&self, rng: &mut Rng) -> Node {
        let k = rng.below(self.n_terminals());
        match self.constants {
            Some((lo, hi)) if k == self.n_features => Node::Const(lo + (hi - lo) * rng.uniform()),
            _ => Node::Var(k as u32),
        }
    }

    fn function(&self, rng: &mut Rng) -> Function {
        self.all[rng.below(self.all.len())]
    }

    /// A function with the given arity other than `current`, if the set has one.
    fn other_function(&self, current: Function, rng: &mut Rng) -> Option<Function> {
        let pool = if current.arity() == 1 {
            &self.unary
        } else {
            &self.binary
        };
        let others: Vec<Function> = pool.iter().copied().filter(|&f| f != current).collect();
        (!others.is_empty()).then(|| others[rng.below(others.len())])
    }

    /// Appends a random tree in postfix order. `full` builds every branch to `depth`; otherwise
    /// (grow) each node is a terminal with the share of terminals among all primitives.
    pub fn random_tree(&self, depth: usize, full: bool, rng: &mut Rng, out: &mut Vec<Node>) {
        let p_terminal = self.n_terminals() as f64 / (self.n_terminals() + self.all.len()) as f64;
        if depth == 0 || (!full && rng.chance(p_terminal)) {
            out.push(self.terminal(rng));
            return;
        }
        let f = self.function(rng);
        for _ in 0..f.arity() {
            self.random_tree(depth - 1, full, rng, out);
        }
        out.push(Node::Func(f));
    }
}

/// Limits every produced program must respect.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub max_size: usize,
    pub max_depth: usize,
}

impl Limits {
    pub fn admit(&self, nodes: &[Node]) -> bool {
        nodes.len() <= self.max_size && depth(nodes) <= self.max_depth
    }
}

/// Ramped half-and-half: depths cycle over `init_depth`, alternating full and grow; a tree over
/// the limits is drawn again (a lone terminal after many failures).
pub(crate) fn initial_program(
    prims: &Primitives,
    limits: Limits,
    init_depth: (usize, usize),
    slot: usize,
    rng: &mut Rng,
) -> Program {
    let n_depths = init_depth.1 - init_depth.0 + 1;
    let depth = init_depth.0 + slot % n_depths;
    let full = (slot / n_depths).is_multiple_of(2);
    let mut nodes = Vec::new();
    for _ in 0..100 {
        nodes.clear();
        prims.random_tree(depth, full, rng, &mut nodes);
        if limits.admit(&nodes) {
            return Program::from_valid(nodes);
        }
    }
    Program::from_valid(vec![prims.terminal(rng)])
}

/// Index of a random subtree root: a function node with probability 0.9 when there is one
/// (Koza's bias, so crossover does not mostly swap leaves), else a leaf.
fn pick_root(nodes: &[Node], rng: &mut Rng) -> usize {
    let n_funcs = nodes.iter().filter(|n| n.arity() > 0).count();
    let want_func = n_funcs > 0 && rng.chance(n_funcs as f64 / nodes.len() as f64);
    let count = if want_func {
        n_funcs
    } else {
        nodes.len() - n_funcs
    };
    let mut k = rng.below(count);
    for (i, n) in nodes.iter().enumerate() {
        if (n.arity() > 0) == want_func {
            if k == 0 {
                return i;
            }
            k -= 1;
        }
    }
    nodes.len() - 1
}

fn splice(base: &[Node], start: usize, end: usize, insert: &[Node]) -> Vec<Node> {
    let mut out = Vec::with_capacity(base.len() - (end + 1 - start) + insert.len());
    out.extend_from_slice(&base[..start]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&base[end + 1..]);
    out
}

fn subtree_span(sizes: &[usize], root: usize) -> (usize, usize) {
    (root + 1 - sizes[root], root)
}

// `*_sizes` arguments are the programs' `subtree_sizes()`, computed once per generation.

/// Replaces a random subtree of `a` with a random subtree of `b`.
pub(crate) fn crossover(
    a: &Program,
    a_sizes: &[usize],
    b: &Program,
    b_sizes: &[usize],
    rng: &mut Rng,
) -> Vec<Node> {
    let (an, bn) = (a.nodes(), b.nodes());
    let (a_start, a_end) = subtree_span(a_sizes, pick_root(an, rng));
    let (b_start, b_end) = subtree_span(b_sizes, pick_root(bn, rng));
    splice(an, a_start, a_end, &bn[b_start..=b_end])
}

/// Replaces a random subtree of `a` with a freshly grown tree.
pub(crate) fn subtree_mutation(
    a: &Program,
    sizes: &[usize],
    prims: &Primitives,
    rng: &mut Rng,
) -> Vec<Node> {
    let an = a.nodes();
    let (start, end) = subtree_span(sizes, pick_root(an, rng));
    let mut donor = Vec::new();
    let depth = rng.below(4);
    prims.random_tree(depth, false, rng, &mut donor);
    splice(an, start, end, &donor)
}

/// Replaces a random subtree of `a` with one of its own subtrees (shrinks programs).
pub(crate) fn hoist_mutation(a: &Program, sizes: &[usize], rng: &mut Rng) -> Vec<Node> {
    let an = a.nodes();
    let (start, end) = subtree_span(sizes, pick_root(an, rng));
    let inner = start + rng.below(end + 1 - start);
    let (i_start, i_end) = subtree_span(sizes, inner);
    splice(an, start, end, &an[i_start..=i_end])
}

/// Replaces each node with probability `p` by another primitive of the same arity.
pub(crate) fn point_mutation(a: &Program, prims: &Primitives, p: f64, rng: &mut Rng) -> Vec<Node> {
    a.nodes()
        .iter()
        .map(|&node| {
            if !rng.chance(p) {
                return node;
            }
            match node {
                Node::Func(f) => prims.other_function(f, rng).map_or(node, Node::Func),
                _ => prims.terminal(rng),
            }
        })
        .collect()
}

/// Index of the tournament winner among `k` uniform draws (ties go to the lower index).
pub(crate) fn tournament(penalized: &[f64], k: usize, rng: &mut Rng) -> usize {
    let mut best = rng.below(penalized.len());
    for _ in 1..k {
        let c = rng.below(penalized.len());
        if penalized[c] > penalized[best] || (penalized[c] == penalized[best] && c < best) {
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prims() -> (Vec<Function>, usize) {
        (Function::ALL.to_vec(), 4)
    }

    #[test]
    fn operators_keep_programs_well_formed() {
        let (funcs, nf) = prims();
        let p = Primitives::new(&funcs, nf, Some((-1.0, 1.0)));
        let limits = Limits {
            max_size: 64,
            max_depth: 10,
        };
        for seed in 0..300u64 {
            let mut rng = Rng::stream(seed, &[]);
            let a = initial_program(&p, limits, (1, 4), seed as usize, &mut rng);
            let b = initial_program(&p, limits, (1, 4), seed as usize + 1, &mut rng);
            assert!(limits.admit(a.nodes()));
            let (sa, sb) = (a.subtree_sizes(), b.subtree_sizes());
            for child in [
                crossover(&a, &sa, &b, &sb, &mut rng),
                subtree_mutation(&a, &sa, &p, &mut rng),
                hoist_mutation(&a, &sa, &mut rng),
                point_mutation(&a, &p, 0.5, &mut rng),
            ] {
                Program::new(child).expect("operators must produce valid programs");
            }
            let hoisted = hoist_mutation(&a, &sa, &mut rng);
            assert!(hoisted.len() <= a.len());
        }
    }

    #[test]
    fn tournament_prefers_fitter() {
        let fit = [0.1, 0.9, 0.5, f64::NEG_INFINITY];
        let mut rng = Rng::stream(3, &[]);
        let wins = (0..1000)
            .filter(|_| tournament(&fit, 4, &mut rng) == 1)
            .count();
        assert!(wins > 600, "{wins}");
    }
}

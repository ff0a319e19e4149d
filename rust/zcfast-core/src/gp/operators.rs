//! Initialisation, selection and variation on postfix programs.
//!
//! Subtrees are contiguous slices in postfix order, so every operator is a splice: the subtree
//! rooted at node `i` is `nodes[i + 1 - size[i] ..= i]`.
//!
//! Layer-wise programs are typed: nodes strictly below a reduction are *unit-level* (values
//! per layer), the others *architecture-level*. Variation keeps programs well formed by only
//! splicing in subtrees that fit the place they go to: reduction-free subtrees at unit-level
//! places, architecture-level subtrees (no feature outside a reduction) elsewhere. Flat
//! programs take exactly the random draws they always took, so flat runs do not change.

use crate::function::Function;
use crate::program::{depth, Node, Program};
use crate::reduce::Reducer;
use crate::rng::Rng;

/// Probability that an architecture-level node of a random layer-wise tree (above depth 1) is
/// a function combining reduced terms rather than a reduction itself: most proxies are one
/// reduction, some a ratio or product of two.
const P_OUTER_FUNCTION: f64 = 0.3;

/// Largest depth of the trees grown by subtree mutation (a depth is drawn below it).
const MUTATION_DEPTHS: usize = 4;

/// What programs may be built from.
pub(crate) struct Primitives<'a> {
    pub unary: Vec<Function>,
    pub binary: Vec<Function>,
    pub n_features: usize,
    pub constants: Option<(f64, f64)>,
    pub all: &'a [Function],
    /// Reductions of the layer-wise genome; empty for flat programs.
    pub reducers: &'a [Reducer],
}

impl<'a> Primitives<'a> {
    pub fn new(
        functions: &'a [Function],
        n_features: usize,
        constants: Option<(f64, f64)>,
        reducers: &'a [Reducer],
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
            reducers,
        }
    }

    fn layerwise(&self) -> bool {
        !self.reducers.is_empty()
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

    fn reducer(&self, rng: &mut Rng) -> Reducer {
        self.reducers[rng.below(self.reducers.len())]
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

    fn other_reducer(&self, current: Reducer, rng: &mut Rng) -> Option<Reducer> {
        let others: Vec<Reducer> = self
            .reducers
            .iter()
            .copied()
            .filter(|&r| r != current)
            .collect();
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

    /// Appends a random architecture-level tree of depth at most `depth` (at least 1): a
    /// reduction of a random unit-level tree, or (with [`P_OUTER_FUNCTION`]) a function of
    /// such trees.
    pub fn random_arch_tree(&self, depth: usize, full: bool, rng: &mut Rng, out: &mut Vec<Node>) {
        if depth <= 1 || !rng.chance(P_OUTER_FUNCTION) {
            let reducer = self.reducer(rng);
            self.random_tree(depth.saturating_sub(1), full, rng, out);
            out.push(Node::Reduce(reducer));
            return;
        }
        let f = self.function(rng);
        for _ in 0..f.arity() {
            self.random_arch_tree(depth - 1, full, rng, out);
        }
        out.push(Node::Func(f));
    }

    /// A random tree for the place `inside` describes (below a reduction or not).
    fn random_tree_for(&self, inside: bool, depth: usize, rng: &mut Rng, out: &mut Vec<Node>) {
        if inside || !self.layerwise() {
            self.random_tree(depth, false, rng, out);
        } else {
            self.random_arch_tree(depth.max(1), false, rng, out);
        }
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

/// A program's nodes with their subtree sizes and, for layer-wise programs, which nodes lie
/// strictly below a reduction.
pub(crate) struct Shape<'p> {
    nodes: &'p [Node],
    sizes: &'p [usize],
    inside: Vec<bool>,
}

impl<'p> Shape<'p> {
    pub fn new(program: &'p Program, sizes: &'p [usize]) -> Self {
        let nodes = program.nodes();
        let mut inside = vec![false; nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            if node.is_reduce() {
                inside[i + 1 - sizes[i]..i].fill(true);
            }
        }
        Self {
            nodes,
            sizes,
            inside,
        }
    }

    fn span(&self, root: usize) -> (usize, usize) {
        (root + 1 - self.sizes[root], root)
    }

    /// Whether the subtree rooted at `root` may replace a subtree at a place below a
    /// reduction (`inside`) or above all reductions.
    fn fits(&self, root: usize, inside: bool) -> bool {
        if inside {
            let (start, end) = self.span(root);
            !self.nodes[start..=end].iter().any(|n| n.is_reduce())
        } else {
            !self.inside[root]
        }
    }
}

/// Ramped half-and-half: depths cycle over `init_depth`, alternating full and grow; a tree over
/// the limits is drawn again (a lone terminal, or a lone reduction of one, after many
/// failures).
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
        if prims.layerwise() {
            prims.random_arch_tree(depth, full, rng, &mut nodes);
        } else {
            prims.random_tree(depth, full, rng, &mut nodes);
        }
        if limits.admit(&nodes) {
            return Program::from_valid(nodes);
        }
    }
    let mut nodes = vec![prims.terminal(rng)];
    if prims.layerwise() {
        nodes.push(Node::Reduce(prims.reducer(rng)));
    }
    Program::from_valid(nodes)
}

/// Index of a random node for which `eligible` holds: a function node with probability 0.9
/// when there is one (Koza's bias, so crossover does not mostly swap leaves), else a leaf.
/// `None` when no node is eligible.
fn pick_root_where(
    nodes: &[Node],
    rng: &mut Rng,
    eligible: impl Fn(usize) -> bool,
) -> Option<usize> {
    let candidates = || (0..nodes.len()).filter(|&i| eligible(i));
    let n_all = candidates().count();
    if n_all == 0 {
        return None;
    }
    let n_funcs = candidates().filter(|&i| nodes[i].arity() > 0).count();
    let want_func = n_funcs > 0 && rng.chance(n_funcs as f64 / n_all as f64);
    let count = if want_func { n_funcs } else { n_all - n_funcs };
    let k = rng.below(count);
    candidates()
        .filter(|&i| (nodes[i].arity() > 0) == want_func)
        .nth(k)
}

fn pick_root(nodes: &[Node], rng: &mut Rng) -> usize {
    pick_root_where(nodes, rng, |_| true).unwrap_or(nodes.len() - 1)
}

fn splice(base: &[Node], start: usize, end: usize, insert: &[Node]) -> Vec<Node> {
    let mut out = Vec::with_capacity(base.len() - (end + 1 - start) + insert.len());
    out.extend_from_slice(&base[..start]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&base[end + 1..]);
    out
}

/// Replaces a random subtree of `a` with a random subtree of `b` that fits its place.
pub(crate) fn crossover(a: &Shape, b: &Shape, rng: &mut Rng) -> Vec<Node> {
    let root = pick_root(a.nodes, rng);
    let (a_start, a_end) = a.span(root);
    let inside = a.inside[root];
    let Some(donor) = pick_root_where(b.nodes, rng, |j| b.fits(j, inside)) else {
        return a.nodes.to_vec();
    };
    let (b_start, b_end) = b.span(donor);
    splice(a.nodes, a_start, a_end, &b.nodes[b_start..=b_end])
}

/// Replaces a random subtree of `a` with a freshly grown tree that fits its place.
pub(crate) fn subtree_mutation(a: &Shape, prims: &Primitives, rng: &mut Rng) -> Vec<Node> {
    let root = pick_root(a.nodes, rng);
    let (start, end) = a.span(root);
    let mut donor = Vec::new();
    let depth = rng.below(MUTATION_DEPTHS);
    prims.random_tree_for(a.inside[root], depth, rng, &mut donor);
    splice(a.nodes, start, end, &donor)
}

/// Replaces a random subtree of `a` with one of its own subtrees that fits its place (shrinks
/// programs).
pub(crate) fn hoist_mutation(a: &Shape, rng: &mut Rng) -> Vec<Node> {
    let root = pick_root(a.nodes, rng);
    let (start, end) = a.span(root);
    let inner = if a.inside[root] || !a.inside[start..=end].iter().any(|&i| i) {
        start + rng.below(end + 1 - start)
    } else {
        let fitting: Vec<usize> = (start..=end).filter(|&j| !a.inside[j]).collect();
        fitting[rng.below(fitting.len())]
    };
    let (i_start, i_end) = a.span(inner);
    splice(a.nodes, start, end, &a.nodes[i_start..=i_end])
}

/// Replaces each node with probability `p` by another primitive of the same kind and arity
/// (above all reductions, a terminal can only become another constant).
pub(crate) fn point_mutation(a: &Shape, prims: &Primitives, p: f64, rng: &mut Rng) -> Vec<Node> {
    a.nodes
        .iter()
        .zip(&a.inside)
        .map(|(&node, &inside)| {
            if !rng.chance(p) {
                return node;
            }
            match node {
                Node::Func(f) => prims.other_function(f, rng).map_or(node, Node::Func),
                Node::Reduce(r) => prims.other_reducer(r, rng).map_or(node, Node::Reduce),
                _ if inside || !prims.layerwise() => prims.terminal(rng),
                _ => match prims.constants {
                    Some((lo, hi)) => Node::Const(lo + (hi - lo) * rng.uniform()),
                    None => node,
                },
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

    fn check_operators(reducers: &[Reducer]) {
        let funcs = Function::ALL.to_vec();
        let p = Primitives::new(&funcs, 4, Some((-1.0, 1.0)), reducers);
        let limits = Limits {
            max_size: 64,
            max_depth: 10,
        };
        for seed in 0..300u64 {
            let mut rng = Rng::stream(seed, &[]);
            let a = initial_program(&p, limits, (1, 4), seed as usize, &mut rng);
            let b = initial_program(&p, limits, (1, 4), seed as usize + 1, &mut rng);
            assert!(limits.admit(a.nodes()));
            assert_eq!(a.is_layerwise(), !reducers.is_empty());
            let (sa, sb) = (a.subtree_sizes(), b.subtree_sizes());
            let (ha, hb) = (Shape::new(&a, &sa), Shape::new(&b, &sb));
            for child in [
                crossover(&ha, &hb, &mut rng),
                subtree_mutation(&ha, &p, &mut rng),
                hoist_mutation(&ha, &mut rng),
                point_mutation(&ha, &p, 0.5, &mut rng),
            ] {
                let child = Program::new(child).expect("operators must produce valid programs");
                // a layer-wise child reduces its features; a flat one has no reductions
                if reducers.is_empty() {
                    assert!(!child.is_layerwise());
                } else {
                    assert!(child.is_layerwise() || child.max_feature().is_none());
                }
            }
            let hoisted = hoist_mutation(&ha, &mut rng);
            assert!(hoisted.len() <= a.len());
        }
    }

    #[test]
    fn operators_keep_flat_programs_well_formed() {
        check_operators(&[]);
    }

    #[test]
    fn operators_keep_layer_wise_programs_well_formed() {
        check_operators(&Reducer::ALL);
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

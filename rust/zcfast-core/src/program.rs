//! Expression trees stored as flat postfix arrays.
//!
//! A program is a sequence of nodes in postfix order: evaluation is one linear sweep with a
//! stack, and every subtree is a contiguous slice ending at its root, so crossover and mutation
//! are slice splices (the layout Operon uses). The subtree ending at index `i` starts at
//! `i + 1 - sizes[i]`.
//!
//! A *layer-wise* program contains reductions ([`Node::Reduce`]): the subtree below a
//! reduction is evaluated on every unit (layer) of an architecture and reduced to one value per
//! architecture, and the nodes above combine such reduced terms. Reductions do not nest, and
//! in a layer-wise program every feature sits below one. A program without reductions is a
//! *flat* program: one value per row, rows being architectures.

use std::hash::{Hash, Hasher};

use crate::error::{CoreError, Result};
use crate::function::Function;
use crate::reduce::Reducer;

/// One node: a function, a feature (matrix column), a constant or a reduction over units.
#[derive(Clone, Copy, Debug)]
pub enum Node {
    Func(Function),
    Var(u32),
    Const(f64),
    Reduce(Reducer),
}

impl Node {
    pub fn arity(self) -> usize {
        match self {
            Node::Func(f) => f.arity(),
            Node::Reduce(_) => 1,
            _ => 0,
        }
    }

    pub fn is_reduce(self) -> bool {
        matches!(self, Node::Reduce(_))
    }
}

// Constants compare by bit pattern so that programs can be hashed and de-duplicated.
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Node::Func(a), Node::Func(b)) => a == b,
            (Node::Var(a), Node::Var(b)) => a == b,
            (Node::Const(a), Node::Const(b)) => a.to_bits() == b.to_bits(),
            (Node::Reduce(a), Node::Reduce(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Node {}
impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match *self {
            Node::Func(f) => (0u8, f as u8).hash(state),
            Node::Var(v) => (1u8, v).hash(state),
            Node::Const(c) => (2u8, c.to_bits()).hash(state),
            Node::Reduce(r) => (3u8, r as u8).hash(state),
        }
    }
}

/// A well-formed postfix expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    nodes: Vec<Node>,
}

impl Program {
    /// Checks that `nodes` is a single well-formed postfix expression, and that its
    /// reductions (if any) neither nest nor leave a feature outside them.
    pub fn new(nodes: Vec<Node>) -> Result<Self> {
        if nodes.is_empty() {
            return Err(CoreError::invalid(
                "expression",
                "at least one node",
                "an empty expression",
            ));
        }
        let mut depth: usize = 0;
        for (i, node) in nodes.iter().enumerate() {
            let arity = node.arity();
            if depth < arity {
                return Err(CoreError::invalid(
                    "expression",
                    "a postfix expression whose functions have enough operands",
                    format!("too few operands for node {i} ({})", node_label(*node)),
                ));
            }
            depth = depth - arity + 1;
        }
        if depth != 1 {
            return Err(CoreError::invalid(
                "expression",
                "a postfix expression with exactly one result",
                format!("{depth} results"),
            ));
        }
        check_reductions(&nodes)?;
        Ok(Self { nodes })
    }

    /// For nodes produced by the engine's own operators, which keep programs well formed.
    pub(crate) fn from_valid(nodes: Vec<Node>) -> Self {
        debug_assert!(Self::new(nodes.clone()).is_ok());
        Self { nodes }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether the program reduces over units (a layer-wise program).
    pub fn is_layerwise(&self) -> bool {
        self.nodes.iter().any(|n| n.is_reduce())
    }

    /// Size of the subtree rooted at each node.
    pub fn subtree_sizes(&self) -> Vec<usize> {
        subtree_sizes(&self.nodes)
    }

    /// Depth of the tree (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        depth(&self.nodes)
    }

    /// Largest feature index used, if any.
    pub fn max_feature(&self) -> Option<u32> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Var(v) => Some(*v),
                _ => None,
            })
            .max()
    }

    /// Serialises as whitespace-free tokens: function names, `x<j>` features, `c<float>`
    /// constants (shortest round-trip representation).
    pub fn to_tokens(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| match *n {
                Node::Func(f) => f.name().to_string(),
                Node::Reduce(r) => r.name().to_string(),
                Node::Var(v) => format!("x{v}"),
                Node::Const(c) => format!("c{c:e}"),
            })
            .collect()
    }

    /// Parses tokens written by [`Program::to_tokens`].
    pub fn from_tokens<S: AsRef<str>>(tokens: &[S]) -> Result<Self> {
        let mut nodes = Vec::with_capacity(tokens.len());
        for tok in tokens {
            let t = tok.as_ref();
            let node = if let Some(rest) = t.strip_prefix('x').filter(|r| !r.is_empty()) {
                match rest.parse::<u32>() {
                    Ok(v) => Node::Var(v),
                    Err(_) => return Err(bad_token(t)),
                }
            } else if let Some(rest) = t.strip_prefix('c').filter(|r| !r.is_empty()) {
                match rest.parse::<f64>() {
                    Ok(c) if c.is_finite() => Node::Const(c),
                    _ => return Err(bad_token(t)),
                }
            } else if let Ok(f) = Function::from_name(t) {
                Node::Func(f)
            } else if let Ok(r) = Reducer::from_name(t) {
                Node::Reduce(r)
            } else {
                return Err(bad_token(t));
            };
            nodes.push(node);
        }
        Self::new(nodes)
    }

    /// Readable infix formula using `names` for the features (`x<j>` where a name is missing),
    /// with the fewest parentheses; linear in the size of the program.
    pub fn to_infix(&self, names: &[String]) -> String {
        crate::infix::to_infix(&self.nodes, names)
    }
}

fn node_label(node: Node) -> String {
    match node {
        Node::Func(f) => f.name().to_string(),
        Node::Reduce(r) => r.name().to_string(),
        Node::Var(v) => format!("x{v}"),
        Node::Const(c) => format!("{c}"),
    }
}

fn bad_token(t: &str) -> CoreError {
    CoreError::invalid(
        "expression",
        format!(
            "tokens that are function names ({}), reductions ({}), features x<j> or constants \
             c<number>",
            Function::names().join(", "),
            Reducer::names().join(", ")
        ),
        format!("{t:?}"),
    )
}

/// Reductions must not nest, and a program with reductions must have every feature inside one
/// (a feature outside would be a per-unit value where one per architecture is needed).
fn check_reductions(nodes: &[Node]) -> Result<()> {
    // Per subtree on the stack: (contains a reduction, contains a feature outside reductions).
    let mut stack: Vec<(bool, bool)> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let mut reduced = false;
        let mut free = matches!(node, Node::Var(_));
        for _ in 0..node.arity() {
            let (r, f) = stack.pop().unwrap_or_default();
            reduced |= r;
            free |= f;
        }
        if let Node::Reduce(r) = node {
            if reduced {
                return Err(CoreError::invalid(
                    "expression",
                    "reductions that do not nest",
                    format!("{} at node {i} applied to another reduction", r.name()),
                ));
            }
            (reduced, free) = (true, false);
        }
        stack.push((reduced, free));
    }
    match stack.pop() {
        Some((true, true)) => Err(CoreError::invalid(
            "expression",
            format!(
                "every feature of a layer-wise expression inside a reduction ({})",
                Reducer::names().join(", ")
            ),
            "a feature outside every reduction",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn subtree_sizes(nodes: &[Node]) -> Vec<usize> {
    let mut sizes = vec![0usize; nodes.len()];
    let mut stack: Vec<usize> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let mut size = 1;
        for _ in 0..node.arity() {
            size += stack.pop().unwrap_or(0);
        }
        sizes[i] = size;
        stack.push(size);
    }
    sizes
}

pub(crate) fn depth(nodes: &[Node]) -> usize {
    let mut stack: Vec<usize> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let mut d = 0;
        for _ in 0..node.arity() {
            d = d.max(stack.pop().unwrap_or(0) + 1);
        }
        stack.push(d);
    }
    stack.pop().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(tokens: &[&str]) -> Program {
        Program::from_tokens(tokens).expect("valid program")
    }

    #[test]
    fn sizes_and_depth() {
        // log(x0) * (x1 + 2.5)
        let p = prog(&["x0", "log", "x1", "c2.5", "add", "mul"]);
        assert_eq!(p.subtree_sizes(), vec![1, 2, 1, 1, 3, 6]);
        assert_eq!(p.depth(), 2);
        assert_eq!(p.max_feature(), Some(1));
    }

    #[test]
    fn token_round_trip_is_exact() {
        let p = Program::new(vec![
            Node::Var(3),
            Node::Const(0.1 + 0.2),
            Node::Func(Function::Div),
            Node::Const(-1e-300),
            Node::Func(Function::Max),
        ])
        .expect("valid");
        assert_eq!(Program::from_tokens(&p.to_tokens()).expect("parses"), p);
    }

    #[test]
    fn malformed_programs_are_rejected() {
        assert!(Program::from_tokens(&["x0", "add"]).is_err());
        assert!(Program::from_tokens(&["x0", "x1"]).is_err());
        assert!(Program::from_tokens::<&str>(&[]).is_err());
        assert!(Program::from_tokens(&["x0", "frobnicate"]).is_err());
        assert!(Program::from_tokens(&["cnan"]).is_err());
        assert!(Program::from_tokens(&["x"]).is_err());
    }

    #[test]
    fn layer_wise_programs_print_parse_and_validate() {
        let names: Vec<String> = ["wg_sum", "fan_in"].map(String::from).to_vec();
        let p = prog(&["x0", "abs", "log", "x1", "div", "mean_layers"]);
        assert!(p.is_layerwise());
        assert_eq!(p.to_infix(&names), "mean_layers(log(abs(wg_sum)) / fan_in)");
        assert_eq!(Program::from_tokens(&p.to_tokens()).expect("parses"), p);
        let q = prog(&["x0", "sum_layers", "x1", "max_layers", "div"]);
        assert_eq!(
            q.to_infix(&names),
            "sum_layers(wg_sum) / max_layers(fan_in)"
        );
        assert_eq!(q.depth(), 2);
        // a feature outside every reduction, and nested reductions
        assert!(Program::from_tokens(&["x0", "sum_layers", "x1", "add"]).is_err());
        assert!(Program::from_tokens(&["x0", "sum_layers", "mean_layers"]).is_err());
        // constants may sit outside reductions
        assert!(Program::from_tokens(&["x0", "sum_layers", "c2e0", "mul"]).is_ok());
        assert!(!prog(&["x0", "x1", "add"]).is_layerwise());
    }

    #[test]
    fn infix_has_the_parentheses_the_tree_needs() {
        let names: Vec<String> = ["synflow", "nwot", "params"].map(String::from).to_vec();
        let p = prog(&["x0", "log", "x1", "mul", "x2", "div"]);
        assert_eq!(p.to_infix(&names), "log(synflow) * nwot / params");
        let p = prog(&["x0", "x1", "x2", "sub", "sub"]);
        assert_eq!(p.to_infix(&names), "synflow - (nwot - params)");
        let p = prog(&["x0", "x1", "add", "neg", "square"]);
        assert_eq!(p.to_infix(&names), "(-(synflow + nwot))^2");
        let p = prog(&["x0", "x1", "x2", "div", "div"]);
        assert_eq!(p.to_infix(&names), "synflow / (nwot / params)");
        // floating-point + and * are not associative: the text must parse back to this tree
        let p = prog(&["x0", "x1", "x2", "add", "add"]);
        assert_eq!(p.to_infix(&names), "synflow + (nwot + params)");
        let p = prog(&["x0", "x1", "x2", "mul", "mul"]);
        assert_eq!(p.to_infix(&names), "synflow * (nwot * params)");
        // "-2.5" is the constant -2.5: the negation of a constant keeps its parentheses, and
        // a constant with a sign (-0.0 included) is parenthesised where an atom is needed
        let p = prog(&["c2.5", "neg"]);
        assert_eq!(p.to_infix(&names), "-(2.5)");
        let p = prog(&["c-2.5", "neg"]);
        assert_eq!(p.to_infix(&names), "-(-2.5)");
        let p = prog(&["c-0.0", "square"]);
        assert_eq!(p.to_infix(&names), "(-0.0)^2");
        let p = prog(&["x0", "c-2.5", "sub"]);
        assert_eq!(p.to_infix(&names), "synflow - -2.5");
    }
}

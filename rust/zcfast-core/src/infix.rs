//! Infix printing of postfix programs in one linear pass.
//!
//! Building each subtree's text and pasting it into its parent's copies every character once
//! per level, which is quadratic for deep programs; here the tree is walked from the root with
//! an explicit stack, each node deciding from its own precedence and its place whether it needs
//! parentheses, and text is appended to one buffer.

use std::fmt::Write as _;

use crate::function::Function;
use crate::program::Node;

// Precedence levels; higher binds tighter.
const SUM: u8 = 1;
const PROD: u8 = 2;
const NEG: u8 = 3;
const POW: u8 = 4;
const ATOM: u8 = 5;

/// What is left to write: a subtree (wrapped in parentheses when its precedence is below the
/// minimum its place asks for), or literal text.
enum Task {
    Node { index: usize, min: u8 },
    Text(&'static str),
    Close,
}

fn precedence(node: Node) -> u8 {
    match node {
        // -0.0 too: it prints with its sign, and reads back as a negated literal
        Node::Const(c) if c.is_sign_negative() => NEG,
        Node::Func(Function::Add | Function::Sub) => SUM,
        Node::Func(Function::Mul | Function::Div) => PROD,
        Node::Func(Function::Neg) => NEG,
        Node::Func(Function::Square) => POW,
        _ => ATOM,
    }
}

/// The infix text of the postfix `nodes` (one well-formed expression).
pub(crate) fn to_infix(nodes: &[Node], names: &[String]) -> String {
    let children = children(nodes);
    let mut out = String::new();
    let mut tasks = vec![Task::Node {
        index: nodes.len().saturating_sub(1),
        min: 0,
    }];
    while let Some(task) = tasks.pop() {
        let (index, min) = match task {
            Task::Text(t) => {
                out.push_str(t);
                continue;
            }
            Task::Close => {
                out.push(')');
                continue;
            }
            Task::Node { index, min } => (index, min),
        };
        let Some(&node) = nodes.get(index) else {
            continue;
        };
        if precedence(node) < min {
            out.push('(');
            tasks.push(Task::Close);
        }
        let (a, b) = children[index];
        // Pushed in reverse: the last pushed is written first.
        match node {
            Node::Var(v) => match names.get(v as usize) {
                Some(name) => out.push_str(name),
                None => {
                    let _ = write!(out, "x{v}");
                }
            },
            Node::Const(c) => {
                let _ = write!(out, "{c:?}");
            }
            Node::Reduce(r) => call(&mut out, &mut tasks, r.name(), &[a]),
            Node::Func(f) => match f {
                Function::Neg => {
                    out.push('-');
                    // "-2.5" reads back as the constant -2.5, so the negation of a constant
                    // keeps its parentheses: "-(2.5)".
                    let min = match nodes.get(a) {
                        Some(Node::Const(_)) => ATOM + 1,
                        _ => NEG + 1,
                    };
                    tasks.push(Task::Node { index: a, min });
                }
                Function::Square => {
                    tasks.push(Task::Text("^2"));
                    tasks.push(Task::Node {
                        index: a,
                        min: ATOM,
                    });
                }
                // The right operand of + and * keeps its parentheses too: floating-point
                // addition is not associative, and the text must parse back to this tree.
                Function::Add => infix(&mut tasks, a, " + ", SUM, b, SUM + 1),
                Function::Sub => infix(&mut tasks, a, " - ", SUM, b, SUM + 1),
                Function::Mul => infix(&mut tasks, a, " * ", PROD, b, PROD + 1),
                Function::Div => infix(&mut tasks, a, " / ", PROD, b, PROD + 1),
                _ if f.arity() == 1 => call(&mut out, &mut tasks, f.name(), &[a]),
                _ => call(&mut out, &mut tasks, f.name(), &[a, b]),
            },
        }
    }
    out
}

fn infix(tasks: &mut Vec<Task>, a: usize, op: &'static str, min_a: u8, b: usize, min_b: u8) {
    tasks.push(Task::Node {
        index: b,
        min: min_b,
    });
    tasks.push(Task::Text(op));
    tasks.push(Task::Node {
        index: a,
        min: min_a,
    });
}

fn call(out: &mut String, tasks: &mut Vec<Task>, name: &str, args: &[usize]) {
    out.push_str(name);
    out.push('(');
    tasks.push(Task::Close);
    for (k, &arg) in args.iter().enumerate().rev() {
        tasks.push(Task::Node { index: arg, min: 0 });
        if k > 0 {
            tasks.push(Task::Text(", "));
        }
    }
}

/// For each node, the indices of its first and second operand (unused ones `usize::MAX`).
fn children(nodes: &[Node]) -> Vec<(usize, usize)> {
    let mut stack: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut out = vec![(usize::MAX, usize::MAX); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        match node.arity() {
            1 => out[i].0 = stack.pop().unwrap_or(usize::MAX),
            2 => {
                out[i].1 = stack.pop().unwrap_or(usize::MAX);
                out[i].0 = stack.pop().unwrap_or(usize::MAX);
            }
            _ => {}
        }
        stack.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::program::Program;

    #[test]
    fn deep_programs_print_in_linear_time() {
        let n = 200_000;
        let mut tokens = vec!["x0".to_string()];
        tokens.extend(std::iter::repeat_n("neg".to_string(), n));
        let p = Program::from_tokens(&tokens).expect("valid");
        let text = p.to_infix(&["a".to_string()]);
        // every negation of a negation is parenthesised: -(-(...-a))
        assert_eq!(text.len(), 3 * n - 1);
        assert!(text.starts_with("-(-(") && text.ends_with(&format!("-a{}", ")".repeat(n - 1))));
        let mut sum = vec!["x0".to_string()];
        for _ in 0..n {
            sum.push("x1".to_string());
            sum.push("add".to_string());
        }
        let p = Program::from_tokens(&sum).expect("valid");
        let text = p.to_infix(&["a".to_string(), "b".to_string()]);
        assert_eq!(text.len(), 1 + n * 4);
    }
}

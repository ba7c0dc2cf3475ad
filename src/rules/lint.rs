//! Cross-rule lint: a rule that can only match when another (broader) rule
//! matches is reported as redundant.

use super::compile::Node;
use super::{RuleDef, RuleSet, Warning};

/// Top-level AND-ed atoms of a tree, and whether the tree is nothing else.
fn conjuncts(node: &Node) -> (Vec<u32>, bool) {
    match node {
        Node::Atom(a) => (vec![*a], true),
        Node::And(items) => {
            let mut atoms: Vec<u32> = items
                .iter()
                .filter_map(|n| {
                    if let Node::Atom(a) = n {
                        Some(*a)
                    } else {
                        None
                    }
                })
                .collect();
            let pure = atoms.len() == items.len();
            atoms.sort_unstable();
            atoms.dedup();
            (atoms, pure)
        }
        _ => (Vec::new(), false),
    }
}

/// `small` ⊆ `big`, both sorted.
fn subset(small: &[u32], big: &[u32]) -> bool {
    let mut it = big.iter();
    small.iter().all(|x| it.by_ref().any(|y| y == x))
}

fn restriction_key(d: &RuleDef) -> (Vec<String>, Vec<String>) {
    let lower = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_lowercase()).collect();
        v.sort();
        v
    };
    (lower(&d.feeds), lower(&d.tags))
}

/// Warn about rule B when some rule A is a pure conjunction of atoms all of
/// which B also requires at its top level (so B ⇒ A), A has no score floor and
/// is not more restricted by feeds/tags than B.
pub(crate) fn redundant(defs: &[RuleDef], set: &RuleSet) -> Vec<Warning> {
    let conj: Vec<(Vec<u32>, bool)> = set.rules.iter().map(|r| conjuncts(r.node())).collect();
    let mut out = Vec::new();
    for (b, (b_atoms, b_pure)) in conj.iter().enumerate() {
        let Some(bd) = defs.get(b) else { continue };
        for (a, (a_atoms, a_pure)) in conj.iter().enumerate() {
            let Some(ad) = defs.get(a) else { continue };
            if a == b || !*a_pure || a_atoms.is_empty() || ad.min_score > 0.0 {
                continue;
            }
            let same = *b_pure && a_atoms == b_atoms;
            if (same && a > b) || !subset(a_atoms, b_atoms) {
                continue; // identical rules: report only the later one
            }
            let (af, at) = restriction_key(ad);
            if (!af.is_empty() || !at.is_empty()) && (af, at) != restriction_key(bd) {
                continue;
            }
            let message = if same {
                format!(
                    "query is equivalent to rule `{}`'s; one of them is redundant",
                    ad.name
                )
            } else {
                format!(
                    "can only match when rule `{}` matches too (it requires all of that rule's terms); \
                     it is redundant unless its priority, weight or feeds differ",
                    ad.name
                )
            };
            out.push(Warning {
                rule: bd.name.clone(),
                origin: bd.origin.clone(),
                message,
            });
            break;
        }
    }
    out
}

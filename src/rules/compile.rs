//! Compilation of parsed queries and term sets into the engine's tables:
//! interned terms (normalised patterns), interned atoms (term list × field
//! mask) and per-rule boolean trees over atom ids.

use std::{collections::HashMap, sync::Arc};

use super::normalize::normalize;
use super::parser::{Ast, parse};
use super::script::is_word_char;
use super::{Field, RuleDef, RuleError, TermSets, Warning};

/// Field mask of unscoped atoms: title + summary + content.
pub(crate) const DEFAULT_FIELDS: u8 = 0b00111;

/// One distinct searchable term.
#[derive(Debug, Clone)]
pub(crate) struct TermInfo {
    /// The term as first written (`export controls`, `=BIS`, `export*`).
    pub display: Arc<str>,
    /// Normalised pattern (case-folded unless `exact`); empty = never matches.
    pub norm: String,
    /// Case-folded pattern (= `norm` unless `exact`): what the main automaton
    /// searches; exact terms are then verified against the case-kept text.
    pub folded: String,
    pub exact: bool,
    pub prefix: bool,
}

/// A leaf of a rule's tree: any of `terms` (sorted) hitting in any field of `fields`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Atom {
    pub terms: Vec<u32>,
    pub fields: u8,
}

/// A rule's boolean tree over atom ids.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Atom(u32),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// Some atom of `a` within `n` tokens of some atom of `b`, in one field;
    /// `ta` / `tb` are the same operands as sorted (term, field mask) lists.
    Near {
        a: Vec<u32>,
        b: Vec<u32>,
        ta: Vec<(u32, u8)>,
        tb: Vec<(u32, u8)>,
        n: u32,
    },
}

/// The terms of `ids` with the union of their field masks, sorted by term.
pub(crate) fn term_masks(atoms: &[Atom], ids: &[u32]) -> Vec<(u32, u8)> {
    let mut v: Vec<(u32, u8)> = ids
        .iter()
        .filter_map(|&a| atoms.get(a as usize))
        .flat_map(|a| a.terms.iter().map(move |&t| (t, a.fields)))
        .collect();
    v.sort_unstable();
    let mut out: Vec<(u32, u8)> = Vec::with_capacity(v.len());
    for (t, m) in v {
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 |= m,
            _ => out.push((t, m)),
        }
    }
    out
}

impl Node {
    /// Evaluate with every atom false (the rule matches documents without hits?).
    pub fn eval_empty(&self) -> bool {
        match self {
            Node::Atom(_) | Node::Near { .. } => false,
            Node::Not(x) => !x.eval_empty(),
            Node::And(v) => v.iter().all(Node::eval_empty),
            Node::Or(v) => v.iter().any(Node::eval_empty),
        }
    }

    /// Rough evaluation cost: `NEAR` needs token positions, everything else bit tests.
    fn cost(&self) -> u32 {
        match self {
            Node::Atom(_) => 1,
            Node::Near { .. } => 100,
            Node::Not(x) => x.cost(),
            Node::And(v) | Node::Or(v) => v.iter().map(Node::cost).sum(),
        }
    }

    /// Put cheap operands of `AND`/`OR` first (a stable sort by cost), so that a missing
    /// `China` ends the evaluation before a `NEAR` over large sets is computed. The result
    /// is the same boolean function.
    pub fn cheap_first(&mut self) {
        match self {
            Node::Not(x) => x.cheap_first(),
            Node::And(v) | Node::Or(v) => {
                v.iter_mut().for_each(Node::cheap_first);
                v.sort_by_key(Node::cost);
            }
            Node::Atom(_) | Node::Near { .. } => {}
        }
    }

    /// Atoms of which one at least must hit for the tree to hold (None when no such set is
    /// known, e.g. under `NOT`): of an `AND`, the operand with the fewest terms (`size`).
    /// Rules are looked at only for documents where one of these hit.
    pub fn trigger_atoms(&self, size: &impl Fn(u32) -> usize) -> Option<Vec<u32>> {
        match self {
            Node::Atom(a) => Some(vec![*a]),
            Node::Near { a, b, .. } => {
                let n = |v: &[u32]| v.iter().map(|&x| size(x)).sum::<usize>();
                Some(if n(b) < n(a) { b.clone() } else { a.clone() })
            }
            Node::Not(_) => None,
            Node::Or(v) => v.iter().try_fold(Vec::new(), |mut acc, x| {
                acc.extend(x.trigger_atoms(size)?);
                Some(acc)
            }),
            Node::And(v) => v
                .iter()
                .filter_map(|x| x.trigger_atoms(size))
                .min_by_key(|t| t.iter().map(|&x| size(x)).sum::<usize>()),
        }
    }

    /// Atoms in positive polarity (an even number of `NOT`s above them).
    pub fn positive_atoms(&self, positive: bool, out: &mut Vec<u32>) {
        match self {
            Node::Atom(a) if positive => out.push(*a),
            Node::Atom(_) => {}
            Node::Near { a, b, .. } if positive => out.extend(a.iter().chain(b)),
            Node::Near { .. } => {}
            Node::Not(x) => x.positive_atoms(!positive, out),
            Node::And(v) | Node::Or(v) => v.iter().for_each(|x| x.positive_atoms(positive, out)),
        }
    }
}

/// Interning tables shared by all rules of one rule set.
#[derive(Default)]
pub(crate) struct Builder {
    pub terms: Vec<TermInfo>,
    term_ids: HashMap<(String, bool, bool), u32>,
    pub atoms: Vec<Atom>,
    atom_ids: HashMap<Atom, u32>,
    /// Compiled term sets (`None` = the set itself is invalid).
    sets: HashMap<String, Option<Vec<u32>>>,
    pub errors: Vec<RuleError>,
    pub warnings: Vec<Warning>,
}

/// Warning text for a term that is an all-caps acronym without `=`.
fn caps_note(text: &str) -> Option<String> {
    ((2..=4).contains(&text.len()) && text.chars().all(|c| c.is_ascii_uppercase())).then(|| {
        format!(
            "`{text}` ignores case and also matches \"{}\"; write `={text}` to match the acronym only",
            text.to_lowercase()
        )
    })
}

impl Builder {
    /// Intern a term; returns its id and, for a new useless term, a warning text.
    fn term(&mut self, text: &str, exact: bool, prefix: bool) -> (u32, Option<String>) {
        let norm = normalize(text, !exact).trim().to_owned();
        let key = (norm.clone(), exact, prefix);
        if let Some(&id) = self.term_ids.get(&key) {
            return (id, None);
        }
        let id = self.terms.len() as u32;
        let shown = format!(
            "{}{text}{}",
            if exact { "=" } else { "" },
            if prefix { "*" } else { "" }
        );
        let note = if norm.is_empty() {
            Some(format!(
                "term `{shown}` is empty after normalisation and can never match"
            ))
        } else if !norm.chars().any(char::is_alphanumeric) {
            Some(format!(
                "term `{shown}` has no letter or digit; it matches that punctuation anywhere"
            ))
        } else if exact && normalize(text, false) == normalize(text, true) {
            Some(format!(
                "`{shown}` has no uppercase letter, so `=` only rules out capitalised forms"
            ))
        } else {
            None
        };
        let display = if text.contains(' ') && !exact && !prefix {
            text.into()
        } else {
            shown.into()
        };
        let folded = if exact {
            normalize(text, true).trim().to_owned()
        } else {
            norm.clone()
        };
        self.terms.push(TermInfo {
            display,
            norm,
            folded,
            exact,
            prefix,
        });
        self.term_ids.insert(key, id);
        (id, note)
    }

    fn atom(&mut self, mut terms: Vec<u32>, fields: u8) -> u32 {
        terms.sort_unstable();
        terms.dedup();
        let atom = Atom { terms, fields };
        if let Some(&id) = self.atom_ids.get(&atom) {
            return id;
        }
        let id = self.atoms.len() as u32;
        self.atoms.push(atom.clone());
        self.atom_ids.insert(atom, id);
        id
    }

    /// Compile (once) the term set `name`; `None` if undefined or invalid.
    fn set(&mut self, name: &str, sets: &TermSets) -> Option<Vec<u32>> {
        if let Some(done) = self.sets.get(name) {
            return done.clone();
        }
        let members = sets.get(name)?;
        let subject = format!("@{name}");
        let mut ids = Vec::new();
        let mut ok = true;
        for member in members {
            let mut m = member.trim();
            let exact = m.starts_with('=');
            m = m.trim_start_matches('=');
            if m.len() >= 2 && m.starts_with('"') && m.ends_with('"') {
                m = &m[1..m.len() - 1];
            }
            let prefix = m.ends_with('*');
            let m = m.trim_end_matches('*').trim();
            if m.is_empty() {
                let msg = "empty member in term set".to_owned();
                self.errors.push(RuleError::new(
                    &subject,
                    &Default::default(),
                    member,
                    0,
                    msg,
                ));
                ok = false;
                continue;
            }
            let (id, note) = self.term(m, exact, prefix);
            let caps = if exact || prefix || m.contains(' ') {
                None
            } else {
                caps_note(m)
            };
            for message in note.into_iter().chain(caps) {
                let rule = subject.clone();
                self.warnings.push(Warning {
                    rule,
                    origin: Default::default(),
                    message,
                });
            }
            ids.push(id);
        }
        if members.is_empty() {
            let message = "term set is empty; `@` references to it never match".to_owned();
            self.warnings.push(Warning {
                rule: subject,
                origin: Default::default(),
                message,
            });
        }
        let result = ok.then_some(ids);
        self.sets.insert(name.to_owned(), result.clone());
        result
    }

    /// Warn about term sets that no rule references.
    pub fn unused_sets(&mut self, sets: &TermSets) {
        for name in sets.keys().filter(|n| !self.sets.contains_key(*n)) {
            let message = "term set is not used by any rule".to_owned();
            self.warnings.push(Warning {
                rule: format!("@{name}"),
                origin: Default::default(),
                message,
            });
        }
    }

    /// Parse and compile one rule's query into a tree.
    pub fn rule(&mut self, def: &RuleDef, sets: &TermSets) -> Result<Node, RuleError> {
        let err =
            |col: usize, msg: String| RuleError::new(&def.name, &def.origin, &def.query, col, msg);
        let parsed = parse(&def.query).map_err(|(c, m)| err(c, m))?;
        let mut cx = RuleCx {
            sets,
            notes: parsed.notes,
        };
        let node = self
            .node(&parsed.ast, None, &mut cx)
            .map_err(|(c, m)| err(c, m))?;
        let mut pos = Vec::new();
        node.positive_atoms(true, &mut pos);
        if pos.is_empty() {
            let msg = "query has no positive term (it only excludes); add a term it must contain";
            return Err(err(0, msg.into()));
        }
        for (col, note) in cx.notes {
            let message = if col > 0 {
                format!("column {}: {note}", col + 1)
            } else {
                note
            };
            let (rule, origin) = (def.name.clone(), def.origin.clone());
            self.warnings.push(Warning {
                rule,
                origin,
                message,
            });
        }
        Ok(node)
    }

    fn node(
        &mut self,
        ast: &Ast,
        scope: Option<Field>,
        cx: &mut RuleCx,
    ) -> Result<Node, (usize, String)> {
        let fields = scope.map_or(DEFAULT_FIELDS, Field::bit);
        Ok(match ast {
            Ast::Term {
                text,
                exact,
                prefix,
                col,
                ..
            } => {
                let (id, note) = self.term(text, *exact, *prefix);
                cx.notes.extend(note.map(|n| (*col, n)));
                Node::Atom(self.atom(vec![id], fields))
            }
            Ast::Set { name, col } => match self.set(name, cx.sets) {
                Some(ids) => Node::Atom(self.atom(ids, fields)),
                None if cx.sets.contains_key(name) => {
                    return Err((
                        *col,
                        format!("term set `@{name}` is invalid (see its error)"),
                    ));
                }
                None => {
                    let known: Vec<&str> = cx.sets.keys().map(String::as_str).collect();
                    let msg = format!(
                        "undefined term set `@{name}` (defined: {})",
                        known.join(", ")
                    );
                    return Err((*col, msg));
                }
            },
            Ast::Scope { field, inner } => self.node(inner, Some(*field), cx)?,
            Ast::Group(inner) => self.node(inner, scope, cx)?,
            Ast::Not(inner) => Node::Not(Box::new(self.node(inner, scope, cx)?)),
            Ast::And(items) | Ast::Or(items) => {
                let mut out = Vec::with_capacity(items.len());
                let is_and = matches!(ast, Ast::And(_));
                for item in items {
                    match (self.node(item, scope, cx)?, is_and) {
                        (Node::And(v), true) | (Node::Or(v), false) => out.extend(v),
                        (n, _) => out.push(n),
                    }
                }
                if is_and {
                    Node::And(out)
                } else {
                    Node::Or(out)
                }
            }
            Ast::Near { a, b, n, col } => {
                let (mut xa, mut xb) = (Vec::new(), Vec::new());
                let ok = self.near_operand(a, scope, cx, &mut xa)?
                    && self.near_operand(b, scope, cx, &mut xb)?;
                if !ok {
                    let msg =
                        "`NEAR` operands must be terms, phrases, @sets or (x OR y) groups of them";
                    return Err((*col, msg.into()));
                }
                let (ta, tb) = (term_masks(&self.atoms, &xa), term_masks(&self.atoms, &xb));
                Node::Near {
                    a: xa,
                    b: xb,
                    ta,
                    tb,
                    n: *n,
                }
            }
        })
    }

    /// Collect the atoms of a NEAR operand; false if the operand is not positional.
    fn near_operand(
        &mut self,
        ast: &Ast,
        scope: Option<Field>,
        cx: &mut RuleCx,
        out: &mut Vec<u32>,
    ) -> Result<bool, (usize, String)> {
        match ast {
            Ast::Term { .. } | Ast::Set { .. } => match self.node(ast, scope, cx)? {
                Node::Atom(a) => out.push(a),
                _ => return Ok(false),
            },
            Ast::Scope { field, inner } => return self.near_operand(inner, Some(*field), cx, out),
            Ast::Group(inner) => return self.near_operand(inner, scope, cx, out),
            Ast::Or(items) => {
                for item in items {
                    if !self.near_operand(item, scope, cx, out)? {
                        return Ok(false);
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct RuleCx<'a> {
    sets: &'a TermSets,
    notes: Vec<(usize, String)>,
}

/// Word-boundary checks of a pattern: (check left edge, check right edge).
pub(crate) fn boundaries(t: &TermInfo) -> (bool, bool) {
    let left = t.norm.chars().next().is_some_and(is_word_char);
    let right = !t.prefix && t.norm.chars().next_back().is_some_and(is_word_char);
    (left, right)
}

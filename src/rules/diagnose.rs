//! Why a rule did *not* match: for `rules eval --misses`, each candidate
//! rule's top-level AND parts are evaluated on the document, and the rules
//! that came closest are reported with the parts that failed (rendered back
//! as short query text) and the positive terms that were present.

use super::compile::Node;
use super::engine::with_scanned;
use super::logic::{State, collect, eval};
use super::{Doc, Field, RuleSet};

/// A rule that did not match a document, and how close it came.
#[derive(Clone, Debug, PartialEq)]
pub struct NearMiss {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// Top-level AND parts that held, out of `parts`.
    pub satisfied: usize,
    pub parts: usize,
    /// The parts that failed, as query text (`NOT …` for a veto that fired),
    /// or why a rule whose query held still did not match (score, feeds).
    pub missing: Vec<String>,
    /// Positive terms of the rule present in the document, as `term (field)`.
    pub present: Vec<String>,
}

/// Terms shown per atom before the rest is summarised as `… +N`.
const SHOWN: usize = 4;

impl RuleSet {
    /// Rules that did not match `doc` but had at least one positive term,
    /// closest first (share of parts that held, then number of terms present).
    /// Feed and tag restrictions are reported, not applied: `doc` is judged
    /// as if it came from a feed every rule applies to.
    pub fn near_misses(&self, doc: &Doc) -> Vec<NearMiss> {
        let mut out = with_scanned(self, doc, |st, cands, raw| {
            let mut out = Vec::new();
            for &r in cands {
                let (Some(rule), Some(info)) =
                    (self.rules.get(r as usize), self.infos.get(r as usize))
                else {
                    continue;
                };
                let present = self.present_terms(&rule.pos_terms, st);
                if present.is_empty() {
                    continue;
                }
                let parts: Vec<&Node> = match rule.node() {
                    Node::And(v) => v.iter().collect(),
                    n => vec![n],
                };
                let mut missing = Vec::new();
                for p in &parts {
                    if !eval(self, p, st) {
                        missing.push(self.render(p));
                    }
                }
                let satisfied = parts.len() - missing.len();
                if missing.is_empty() {
                    if collect(self, rule, info, st, raw).is_none() {
                        missing.push(format!("score below min_score {}", info.min_score));
                    } else if !info.feeds.is_empty() || !info.tags.is_empty() {
                        missing.push("restricted to other feeds or tags".to_owned());
                    } else {
                        continue; // It matched: not a miss.
                    }
                }
                out.push(NearMiss {
                    rule: r as usize,
                    satisfied,
                    parts: parts.len(),
                    missing,
                    present,
                });
            }
            out
        });
        out.sort_by(|a, b| {
            let share = |m: &NearMiss| m.satisfied as f64 / m.parts.max(1) as f64;
            share(b)
                .total_cmp(&share(a))
                .then(b.present.len().cmp(&a.present.len()))
                .then(a.rule.cmp(&b.rule))
        });
        out
    }

    fn present_terms(&self, tm: &[(u32, u8)], st: &State) -> Vec<String> {
        let mut v = Vec::new();
        for &(t, m) in tm {
            for f in Field::ALL {
                if m & f.bit() != 0 && st.has(f.index(), t) {
                    let name = self.terms.get(t as usize).map_or("?", |i| &i.display);
                    v.push(format!("{name} ({})", f.as_str()));
                }
            }
        }
        v
    }

    fn atom_text(&self, a: u32) -> String {
        let Some(atom) = self.atoms.get(a as usize) else {
            return "?".to_owned();
        };
        let names: Vec<&str> = atom
            .terms
            .iter()
            .take(SHOWN)
            .map(|&t| self.terms.get(t as usize).map_or("?", |i| &i.display))
            .collect();
        let mut s = names.join(" | ");
        if atom.terms.len() > SHOWN {
            s.push_str(&format!(" … +{}", atom.terms.len() - SHOWN));
        }
        if atom.terms.len() > 1 {
            s = format!("({s})");
        }
        if atom.fields != super::compile::DEFAULT_FIELDS {
            let scopes: Vec<&str> = Field::ALL
                .iter()
                .filter(|f| atom.fields & f.bit() != 0)
                .map(Field::as_str)
                .collect();
            s = format!("{}:{s}", scopes.join("+"));
        }
        s
    }

    /// A compiled tree as short query text.
    fn render(&self, n: &Node) -> String {
        let join = |v: &[Node], op: &str| {
            let parts: Vec<String> = v.iter().map(|x| self.render(x)).collect();
            format!("({})", parts.join(op))
        };
        match n {
            Node::Atom(a) => self.atom_text(*a),
            Node::Not(x) => format!("NOT {}", self.render(x)),
            Node::And(v) => join(v, " AND "),
            Node::Or(v) => join(v, " OR "),
            Node::Near { a, b, n, .. } => {
                let side = |ids: &[u32]| {
                    let parts: Vec<String> = ids.iter().map(|&x| self.atom_text(x)).collect();
                    match parts.as_slice() {
                        [one] => one.clone(),
                        _ => format!("({})", parts.join(" OR ")),
                    }
                };
                format!("({} NEAR/{n} {})", side(a), side(b))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Origin, Priority, RuleDef, TermSets};
    use super::*;

    fn set(rules: &[(&str, &str)]) -> RuleSet {
        let defs: Vec<RuleDef> = rules
            .iter()
            .map(|(name, q)| RuleDef {
                name: (*name).into(),
                query: (*q).into(),
                weight: 1.0,
                min_score: 0.0,
                priority: Priority::Digest,
                feeds: vec![],
                tags: vec![],
                topic: None,
                origin: Origin::default(),
            })
            .collect();
        let mut sets = TermSets::new();
        sets.insert("china".into(), vec!["China".into(), "Beijing".into()]);
        RuleSet::compile(&defs, &sets).map(|(s, _)| s).unwrap()
    }

    fn doc(title: &str) -> Doc<'_> {
        Doc {
            title,
            summary: "",
            content: "",
            link: "",
            feed_name: None,
            feed_tags: &[],
        }
    }

    #[test]
    fn closest_rule_first_with_failed_parts_and_present_terms() {
        let rs = set(&[
            ("far", "nvidia export ban @china"),
            ("close", "nvidia sell @china -poker"),
        ]);
        let d = doc("Nvidia may sell H200 in Beijing");
        assert_eq!(rs.match_doc(&d).len(), 1);
        let m = rs.near_misses(&d);
        assert_eq!(m.len(), 1, "the matching rule is not a miss: {m:?}");
        assert_eq!(rs.rules()[m[0].rule].name, "far");
        let d = doc("Nvidia may sell H200 to poker players in Beijing");
        let m = rs.near_misses(&d);
        assert_eq!(m.len(), 2);
        assert_eq!(rs.rules()[m[0].rule].name, "close");
        assert_eq!((m[0].satisfied, m[0].parts), (3, 4));
        assert_eq!(m[0].missing, vec!["NOT poker".to_owned()]);
        assert_eq!(rs.rules()[m[1].rule].name, "far");
        assert_eq!((m[1].satisfied, m[1].parts), (2, 4));
        assert_eq!(m[1].missing, vec!["export".to_owned(), "ban".to_owned()]);
        assert!(m[1].present.contains(&"Beijing (title)".to_owned()));
    }

    #[test]
    fn near_and_sets_render_as_query_text() {
        let rs = set(&[("n", "(ban NEAR/3 sales) AND title:@china")]);
        let m = rs.near_misses(&Doc {
            summary: "China to ban chip sales",
            ..doc("Nvidia")
        });
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].missing, vec!["title:(China | Beijing)".to_owned()]);
        let m = rs.near_misses(&doc("ban on something, then much later, sales in China"));
        assert_eq!(m[0].missing, vec!["(ban NEAR/3 sales)".to_owned()]);
    }
}

//! Keyword-rule engine (pure: no I/O, no clock). Owns the rule query language
//! (see `docs/rule-language.md`), its compilation into one Aho-Corasick
//! automaton (plus one for exact-case terms), document matching with scores
//! and hit spans, diagnostics, highlighting and the classification scorer
//! ([`eval`]).

mod compile;
mod compiled;
mod diagnose;
mod engine;
mod error;
pub mod eval;
mod highlight;
mod lexer;
mod lint;
mod logic;
mod normalize;
mod parser;
mod scanner;
mod script;
pub use script::display_width;
pub(crate) use script::{fold_han, is_cjk_letter};
mod t2s;
mod topics;
pub use topics::Topics;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_normalize;
#[cfg(test)]
mod tests_prop;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use diagnose::NearMiss;
pub use error::{RuleError, Warning};
pub use highlight::{highlight_markers, whole_words};

/// What a matching rule triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Collected into the periodic digest.
    Digest,
    /// Sent right away.
    Alert,
}

/// A searchable part of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title,
    Summary,
    Content,
    /// The item's (canonical) URL.
    Link,
    /// The feed's name and tags, one per line (name first).
    Feed,
}

impl Field {
    /// All fields, in order.
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Summary,
        Field::Content,
        Field::Link,
        Field::Feed,
    ];

    /// Name used in queries (`title:`) and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Link => "link",
            Field::Feed => "feed",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn bit(self) -> u8 {
        1 << self.index()
    }
}

/// Where a rule's query string starts in its TOML file (1-based line and column).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub line: usize,
    pub col: usize,
}

/// A rule as configured.
#[derive(Clone, Debug)]
pub struct RuleDef {
    pub name: String,
    pub query: String,
    /// Multiplies the score (default 1.0).
    pub weight: f64,
    /// Minimum score for the rule to match (default 0).
    pub min_score: f64,
    pub priority: Priority,
    /// Feed names the rule is restricted to (case-insensitive); empty = any.
    pub feeds: Vec<String>,
    /// Feed tags the rule is restricted to (case-insensitive); empty = any.
    pub tags: Vec<String>,
    /// The digest section the rule's stories go to (`topic = "Entity List"`); None: the rule's name.
    pub topic: Option<String>,
    pub origin: Origin,
}

/// `[terms]`: set name → member term expressions (`word`, `word*`, `a phrase`, `=EXACT`).
pub type TermSets = BTreeMap<String, Vec<String>>;

/// A document to match.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub content: &'a str,
    pub link: &'a str,
    /// `None` = the item carries no feed: rules restricted by feeds/tags are skipped.
    pub feed_name: Option<&'a str>,
    pub feed_tags: &'a [String],
}

/// One occurrence of a term.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The term as written, e.g. `export controls`, `=BIS`, `export*` (shared
    /// with the compiled rule set: cloning a hit does not copy the text).
    pub term: Arc<str>,
    pub field: Field,
    /// Byte span in the original field text (for [`Field::Feed`]: in
    /// `feed_name` + `"\n"` + tags joined by `"\n"`).
    pub start: usize,
    pub end: usize,
}

/// A rule that matched a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    pub score: f64,
    /// Positive hits only, sorted by field then start.
    pub hits: Vec<Hit>,
}

/// Public description of a compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    pub name: String,
    pub priority: Priority,
    pub weight: f64,
    pub min_score: f64,
    pub feeds: Vec<String>,
    pub tags: Vec<String>,
    pub topic: Option<String>,
}

/// A compiled, immutable rule set (`Send + Sync`; share it via `Arc`).
#[derive(Debug)]
pub struct RuleSet {
    infos: Vec<RuleInfo>,
    rules: Vec<compiled::CRule>,
    atoms: Vec<compile::Atom>,
    /// Per atom with many terms, its terms as a bitset (`words` u64s), for a word-wise test
    /// against a document's hit bits; `None` for small atoms.
    atom_bits: Vec<Option<Box<[u64]>>>,
    terms: Vec<compile::TermInfo>,
    /// Automaton over case-folded patterns, and over exact-case ones.
    fold: Option<scanner::Scanner>,
    exact: Option<scanner::Scanner>,
    /// Term id → rules that one of its hits makes worth evaluating: the terms of each rule's
    /// trigger atoms (`Node::trigger_atoms`), else of all its positive atoms.
    term_rules: Vec<Vec<u32>>,
    /// Rules that can match without any positive hit (e.g. `a OR -b`).
    always: Vec<u32>,
    /// Union of the field masks of all atoms.
    fields: u8,
    /// Digest topics and context terms (set by the configuration after compiling).
    topics: Topics,
}

impl RuleSet {
    /// Compile rules and term sets. All invalid rules are reported at once.
    pub fn compile(
        rules: &[RuleDef],
        sets: &TermSets,
    ) -> Result<(RuleSet, Vec<Warning>), Vec<RuleError>> {
        let mut b = compile::Builder::default();
        let mut trees = Vec::with_capacity(rules.len());
        for def in rules {
            match b.rule(def, sets) {
                Ok(node) => trees.push(node),
                Err(e) => b.errors.push(e),
            }
        }
        b.unused_sets(sets);
        let mut seen = std::collections::HashSet::new();
        for def in rules {
            if !seen.insert(def.name.as_str()) {
                let msg = "duplicate rule name".to_owned();
                b.errors
                    .push(RuleError::new(&def.name, &def.origin, &def.query, 0, msg));
            }
            if !def.weight.is_finite() || !def.min_score.is_finite() {
                let msg = "weight and min_score must be finite numbers".to_owned();
                b.errors
                    .push(RuleError::new(&def.name, &def.origin, &def.query, 0, msg));
            }
        }
        if !b.errors.is_empty() {
            return Err(b.errors);
        }
        let set = engine::build(rules, trees, b.terms, b.atoms).map_err(|message| {
            vec![RuleError {
                rule: String::new(),
                origin: Origin::default(),
                col: 0,
                message,
                query: String::new(),
            }]
        })?;
        let mut warnings = b.warnings;
        warnings.extend(lint::redundant(rules, &set));
        Ok((set, warnings))
    }

    /// The compiled rules, indexed by [`Match::rule`].
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// Digest topics: their order (`declared` first, alert topics before all) and the context
    /// terms that only support a match.
    pub fn set_topics(&mut self, declared: &[String], context: Vec<String>) {
        let rules: Vec<(String, Option<String>, bool)> = self
            .infos
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.topic.clone(),
                    r.priority == Priority::Alert,
                )
            })
            .collect();
        self.topics = Topics::new(&rules, declared, context);
    }

    /// The digest topics (see [`RuleSet::set_topics`]).
    pub fn topics(&self) -> Topics {
        self.topics.clone()
    }

    /// All rules matching `doc`, in no particular order.
    pub fn match_doc(&self, doc: &Doc) -> Vec<Match> {
        engine::match_doc(self, doc)
    }

    /// Number of distinct terms in the automata.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }
}

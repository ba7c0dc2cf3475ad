//! The compiled form the engine and the logic share: a compiled rule, a raw hit in original
//! byte coordinates, and the per-thread buffers one document's matching reuses. A leaf of
//! `rules`: the engine fills these, the logic reads them.

use super::Field;
use super::compile::Node;
use super::normalize::Normalized;

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct CRule {
    pub(crate) node: Node,
    /// Terms in positive polarity with their field masks (score and hits).
    pub pos_terms: Vec<(u32, u8)>,
    pub(crate) feeds: Vec<String>,
    pub(crate) tags: Vec<String>,
}

impl CRule {
    pub fn node(&self) -> &Node {
        &self.node
    }
}

/// A hit in original-text byte coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RawHit {
    pub start: u32,
    pub end: u32,
    pub term: u32,
}

/// Buffers reused across documents (one set per thread).
#[derive(Default)]
pub(crate) struct Scratch {
    pub exact: Normalized,
    pub fold: Normalized,
    /// Hits per field, sorted by term (then start, end).
    pub hits: [Vec<RawHit>; 5],
    /// Token start offsets per field, computed on first `NEAR` use (`tok_done`).
    pub tokens: [Vec<u32>; 5],
    pub tok_done: u8,
    /// Bitset of hit terms per field (`words` u64 per field), then of any field.
    pub bits: Vec<u64>,
    /// Sorted distinct hit terms, and per term its range in each field's `hits`.
    pub seen: Vec<u32>,
    pub ranges: Vec<[(u32, u32); 5]>,
    pub cands: Vec<u32>,
    /// Buffers of `NEAR` and of the hits of a matching rule.
    pub near: (Vec<RawHit>, Vec<RawHit>, Vec<(i64, i64)>),
    pub raw: Vec<(Field, RawHit)>,
}

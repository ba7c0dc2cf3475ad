//! Source kinds: how a fetched body becomes entries. A feed is one kind of source ([`feed`]);
//! every kind turns what was fetched into a [`ParsedFeed`] whose entries may carry structured
//! metadata. Fetching, politeness (conditional GET, per-host limits, backoff), scheduling and
//! health are the poller's and the same for all kinds. A kind that needs what it read last time
//! gets it from the store through [`Prior`], which the poller loads before reading. Pure:
//! called by the poller (on a CPU core of its own) and `feeds inspect`.

pub mod feed;

use crate::fetch::Fetched;
use crate::model::{FeedSpec, ParsedFeed, SourceKind};
use std::collections::HashSet;

/// What the store knew about a source when its poll began.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// Keys of the entries already stored for it (not matched again).
    pub known: HashSet<String>,
}

/// What a source kind made of one fetched body.
#[derive(Debug, Clone)]
pub struct Read {
    pub feed: ParsedFeed,
}

/// Why a fetched body could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SourceError {
    #[error(transparent)]
    Parse(#[from] crate::parse::ParseError),
}

/// Reads one fetched body of `spec` as its kind says.
pub fn read(spec: &FeedSpec, fetched: &Fetched, _prior: &Prior) -> Result<Read, SourceError> {
    match &spec.kind {
        SourceKind::Feed => Ok(Read {
            feed: feed::read(spec, fetched)?,
        }),
    }
}

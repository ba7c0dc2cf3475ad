//! Source kinds: how a fetched body becomes entries. A feed is one kind of source ([`feed`]);
//! every kind turns what was fetched into a [`ParsedFeed`] whose entries may carry structured
//! metadata. Fetching, politeness (conditional GET, per-host limits, backoff), scheduling and
//! health are the poller's and the same for all kinds. A kind that needs what it read last time
//! gets it from the store through [`Prior`], which the poller loads before reading. Pure:
//! called by the poller (on a CPU core of its own) and `feeds inspect`.

pub mod federal_register;
pub mod feed;
pub mod screening;
pub mod screening_diff;

use crate::model::regulatory::Snapshot;
use crate::model::{FeedSpec, ParsedFeed, SourceKind};
use std::collections::HashSet;

/// What the store knew about a source when its poll began.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// Keys of the entries already stored for it (not matched again).
    pub known: HashSet<String>,
    /// The previous screening-list snapshot (kinds that diff; None on a first poll).
    pub snapshot: Option<Snapshot>,
}

/// What a source kind made of one fetched body.
#[derive(Debug, Clone)]
pub struct Read {
    pub feed: ParsedFeed,
    /// The snapshot to keep for the next poll (kinds that diff).
    pub snapshot: Option<Snapshot>,
}

/// Whether the kind needs the previous snapshot in its [`Prior`].
pub fn needs_snapshot(kind: &SourceKind) -> bool {
    matches!(kind, SourceKind::ScreeningList(_))
}

/// Why a fetched body could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SourceError {
    #[error(transparent)]
    Parse(#[from] crate::parse::ParseError),
    /// The body is not what the source's API or file format says (the message says how).
    #[error("{0}")]
    Format(String),
}

/// A fetched document as the source kinds see it (the fetcher's own type stays in the shell).
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub body: &'a [u8],
    /// Content-Type header (for its charset), if fetched over HTTP.
    pub content_type: Option<&'a str>,
    /// The address it was finally fetched from: the base for relative links.
    pub url: &'a str,
}

/// Reads one fetched body of `spec` as its kind says.
pub fn read(spec: &FeedSpec, fetched: Document, prior: &Prior) -> Result<Read, SourceError> {
    match &spec.kind {
        SourceKind::Feed => Ok(Read {
            feed: feed::read(spec, fetched)?,
            snapshot: None,
        }),
        SourceKind::FederalRegister(q) => Ok(Read {
            feed: federal_register::read(spec, q, fetched.body).map_err(SourceError::Format)?,
            snapshot: None,
        }),
        SourceKind::ScreeningList(q) => {
            let (feed, snapshot) = screening::read(spec, q, fetched.body, prior.snapshot.as_ref())
                .map_err(SourceError::Format)?;
            Ok(Read {
                feed,
                snapshot: Some(snapshot),
            })
        }
    }
}

//! The feed source kind: an RSS, Atom, RDF or JSON Feed document, read by [`crate::parse`].
//! Called by [`super::read`].

use super::Document;
use crate::model::{FeedSpec, ParsedFeed};
use crate::parse::{ParseError, ParseOptions, parse_feed};

/// Parses a fetched feed document (charset from its Content-Type, links against its address).
pub fn read(spec: &FeedSpec, f: Document) -> Result<ParsedFeed, ParseError> {
    let opts = ParseOptions {
        content_type: f.content_type,
        base_url: Some(f.url),
        default_offset: spec.default_offset,
    };
    parse_feed(f.body, &opts)
}

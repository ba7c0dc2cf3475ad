//! Identities as types of their own, so a story's id cannot be passed where a feed's is
//! meant: [`FeedId`] (a configured source's row) and [`StoryId`] (entries reporting the same
//! news). Plain data; the store converts them at the SQL boundary.

use serde::{Deserialize, Serialize};

/// A configured source (feed, Federal Register query, screening list) as the store keeps it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct FeedId(pub i64);

/// A story: the entries of one or more feeds that report the same news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoryId(pub i64);

impl std::fmt::Display for FeedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for StoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

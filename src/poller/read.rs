//! Reading a fetched document: what the store knew of the source ([`Prior`]: stored keys, the
//! last snapshot), then the source kind's reading and the ingest on a core of its own within
//! [`PARSE_BUDGET`]. Used by [`super::poll_feed`]'s "modified" step.

use super::{PollContext, ingest};
use crate::model::FeedSpec;
use crate::source::{Prior, Read, SourceError};
use crate::store::feeds::FeedState;
use std::time::Duration;

/// The most a document's parsing and matching may take (CPU-bound work on a core of its own,
/// so about its CPU time). Text extraction is linear, so only a pathological document gets
/// near it; it is then recorded as an error on its feed while the daemon goes on.
pub const PARSE_BUDGET: Duration = Duration::from_secs(15);

pub(super) type Parsed = Result<(Read, ingest::Ingested), SourceError>;

/// What the store knows about the source before its body is read (nothing on a first poll).
pub(super) async fn load_prior(ctx: &PollContext, spec: &FeedSpec, state: &FeedState) -> Prior {
    if !state.polled {
        return Prior::default();
    }
    let (id, snapshot) = (state.id, crate::source::needs_snapshot(&spec.kind));
    ctx.store
        .call(move |s| {
            Ok(Prior {
                known: s.known_keys(id)?,
                snapshot: if snapshot { s.snapshot(id)? } else { None },
            })
        })
        .await
        .unwrap_or_default()
}

/// Reads (as the source's kind says) and ingests on a core of its own (the CPU permit) within
/// [`PARSE_BUDGET`]; the outer error says the work crashed or ran out of time.
pub(super) async fn parse_in_budget(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
    fetched: Box<crate::fetch::Fetched>,
    prior: Prior,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Parsed, String> {
    let permit = ctx.cpu.clone().acquire_owned().await.ok();
    let (rules, spec, backfill, polled) =
        (ctx.rules.clone(), spec.clone(), ctx.backfill, state.polled);
    let parsed = tokio::task::spawn_blocking(move || {
        // Held until the work ends, even when the poll stopped waiting for it.
        let _permit = permit;
        let doc = crate::source::Document {
            body: &fetched.body,
            content_type: fetched.content_type.as_deref(),
            url: &fetched.final_url,
        };
        let mut read = crate::source::read(&spec, doc, &prior)?;
        // The entries move into the result (only their number is needed afterwards).
        let entries = std::mem::take(&mut read.feed.entries);
        let new = ingest::ingest(entries, &prior.known, &rules, &spec, !polled, backfill, now);
        Ok((read, new))
    });
    match tokio::time::timeout(PARSE_BUDGET, parsed).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "parsing and matching took longer than {} s; document skipped",
            PARSE_BUDGET.as_secs()
        )),
    }
}

//! The feeds of a configuration: the OPML file's outlines (http and https only: a third
//! party's list) and the `[[feed]]` entries the user wrote (which may name local files), with
//! their per-feed settings; the same feed listed twice is polled once. Each bad feed is
//! reported and the others still checked. Called by [`super::resolve`].

use super::diag::url_hint;
use super::files::{Ctx, DAY, Files, MIN, SEC};
use super::raw::{RawFeed, RawFeeds};
use super::units::parse_offset;
use super::*;
use crate::model::FeedSource;

/// The OPML file's feeds; None after reporting why it cannot be used.
fn opml_feeds(cx: &Ctx, files: &Files, rf: &RawFeeds) -> Option<Vec<FeedSpec>> {
    let Some(opml) = &rf.opml else {
        return Some(Vec::new());
    };
    let read = files.read(opml.get_ref()).map_err(|e| match e {
        ConfigError::Read { path: p, source } => cx.err(
            opml,
            format!(
                "cannot read OPML file {p}: {source} — opml = {:?} is relative to the config file's folder: copy feeds.opml next to it, fix the path, or remove the line (`chipwatch init DIR` writes a self-contained setup)",
                opml.get_ref()
            ),
        ),
        other => other,
    });
    let (opath, otext) = cx.ok(read)?;
    let outlines = cx.ok(
        crate::opml::parse(&otext).map_err(|m| ConfigError::Invalid {
            location: opath.clone(),
            message: format!("unreadable OPML: {m}"),
        }),
    )?;
    let mut feeds = Vec::new();
    for o in outlines {
        let url = crate::opml::feed_url(&o).map_err(|message| ConfigError::Invalid {
            location: opath.clone(),
            message,
        });
        let Some(url) = cx.ok(url) else { continue };
        feeds.push(FeedSpec {
            name: if o.title.is_empty() {
                crate::redact::url(url.as_str())
            } else {
                o.title.clone()
            },
            source: FeedSource::Url(url),
            tags: o.tags,
            interval: None,
            default_offset: None,
            headers: Vec::new(),
            user_written: false,
            kind: Default::default(),
        });
    }
    Some(feeds)
}

/// Where one `[[feed]]` is read from.
fn source(cx: &Ctx, files: &Files, f: &RawFeed) -> Result<FeedSource, ConfigError> {
    match (&f.url, &f.path) {
        (Some(u), None) => {
            let url = url::Url::parse(u.get_ref().trim()).map_err(|e| {
                let hint = url_hint(u.get_ref()).unwrap_or_else(|| {
                    "write the full address, e.g. \"https://example.org/feed.xml\"".into()
                });
                cx.err(u, format!("bad feed URL {:?}: {e} — {hint}", u.get_ref()))
            })?;
            if !matches!(url.scheme(), "http" | "https" | "file") {
                return Err(cx.err(
                    u,
                    format!(
                        "feed URL {:?}: scheme must be http, https or file — e.g. \"https://example.org/feed.xml\"",
                        u.get_ref()
                    ),
                ));
            }
            Ok(FeedSource::Url(url))
        }
        (None, Some(p)) => Ok(FeedSource::Path(files.resolve(p.get_ref()))),
        (Some(u), Some(_)) => Err(cx.err(
            u,
            "a [[feed]] takes either url or path, not both — remove one",
        )),
        (None, None) => Err(cx.err_file(format!(
            "a [[feed]] ({}) needs url or path — add url = \"https://…\"",
            f.name.as_deref().unwrap_or("unnamed")
        ))),
    }
}

/// One `[[feed]]` with its settings; None after reporting what is wrong with it.
fn user_feed(cx: &Ctx, files: &Files, f: &RawFeed) -> Option<FeedSpec> {
    let source = cx.ok(source(cx, files, f));
    let default_offset = match &f.utc_offset {
        Some(o) => cx
            .ok(parse_offset(o.get_ref()).map_err(|m| cx.err(o, m)))
            .map(Some),
        None => Some(None),
    };
    let interval = match &f.interval {
        Some(_) => cx
            .ok(cx.duration_in(&f.interval, MIN, (SEC, 365 * DAY), "[[feed]] interval"))
            .map(Some),
        None => Some(None),
    };
    let mut spec = FeedSpec {
        name: String::new(),
        source: source?,
        tags: f.tags.clone(),
        interval: interval?,
        default_offset: default_offset?,
        headers: f
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        user_written: true,
        kind: Default::default(),
    };
    // An unnamed feed is shown by its address, without the secrets in it.
    spec.name = f
        .name
        .clone()
        .unwrap_or_else(|| crate::redact::url(&spec.id_url()));
    Some(spec)
}

pub(super) fn resolve_feeds(
    cx: &Ctx,
    files: &Files,
    rf: &RawFeeds,
    raw_feeds: &[RawFeed],
) -> Option<Vec<FeedSpec>> {
    let opml = opml_feeds(cx, files, rf);
    let user: Vec<Option<FeedSpec>> = raw_feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| user_feed(cx, files, f))
        .collect();
    let mut feeds = opml?;
    for f in user {
        feeds.push(f?);
    }
    // The same feed listed twice (OPML and [[feed]]) is polled once; the later entry wins.
    let mut seen = std::collections::HashSet::new();
    feeds.reverse();
    feeds.retain(|f| seen.insert(f.id_url()));
    feeds.reverse();
    Some(feeds)
}

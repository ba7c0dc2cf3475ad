//! The feeds of a configuration: the OPML file's outlines (http and https only: a third
//! party's list) and the `[[feed]]` entries the user wrote (which may name local files), with
//! their per-feed settings; the same feed listed twice is polled once. Called by
//! [`super::resolve`].

use super::files::{Ctx, DAY, Files, MIN, SEC, locate};
use super::units::parse_offset;
use super::*;
use crate::model::FeedSource;

pub(super) fn resolve_feeds(
    cx: &Ctx,
    files: &Files,
    rf: &super::raw::RawFeeds,
    raw_feeds: &[super::raw::RawFeed],
) -> Result<Vec<FeedSpec>, ConfigError> {
    let (display, text) = (&cx.path, cx.text);
    let mut feeds: Vec<FeedSpec> = Vec::new();
    if let Some(opml) = &rf.opml {
        let (opath, otext) = files.read(opml.get_ref()).map_err(|e| match e {
            ConfigError::Read { path: p, source } => ConfigError::Invalid {
                location: locate(display, text, opml.span().start).2,
                message: format!("cannot read OPML file {p}: {source}"),
            },
            other => other,
        })?;
        let outlines = crate::opml::parse(&otext).map_err(|m| ConfigError::Invalid {
            location: opath.clone(),
            message: format!("unreadable OPML: {m}"),
        })?;
        for o in outlines {
            let url = crate::opml::feed_url(&o).map_err(|message| ConfigError::Invalid {
                location: opath.clone(),
                message,
            })?;
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
    }
    for f in raw_feeds {
        if !f.enabled {
            continue;
        }
        let source = match (&f.url, &f.path) {
            (Some(u), None) => {
                let url = url::Url::parse(u.get_ref())
                    .map_err(|e| cx.err(u, format!("bad feed URL {:?}: {e}", u.get_ref())))?;
                if !matches!(url.scheme(), "http" | "https" | "file") {
                    return Err(cx.err(
                        u,
                        format!(
                            "feed URL {:?}: scheme must be http, https or file",
                            u.get_ref()
                        ),
                    ));
                }
                FeedSource::Url(url)
            }
            (None, Some(p)) => {
                let path = files.resolve(p.get_ref());
                FeedSource::Path(std::path::absolute(&path).unwrap_or(path))
            }
            (Some(u), Some(_)) => {
                return Err(cx.err(u, "a [[feed]] takes either url or path, not both"));
            }
            (None, None) => {
                return Err(ConfigError::Invalid {
                    location: display.clone(),
                    message: format!(
                        "a [[feed]] ({}) needs url or path",
                        f.name.as_deref().unwrap_or("unnamed")
                    ),
                });
            }
        };
        let default_offset = match &f.utc_offset {
            Some(o) => Some(parse_offset(o.get_ref()).map_err(|m| cx.err(o, m))?),
            None => None,
        };
        let interval = match &f.interval {
            Some(_) => {
                Some(cx.duration_in(&f.interval, MIN, (SEC, 365 * DAY), "[[feed]] interval")?)
            }
            None => None,
        };
        let mut spec = FeedSpec {
            name: String::new(),
            source,
            tags: f.tags.clone(),
            interval,
            default_offset,
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
        feeds.push(spec);
    }
    // The same feed listed twice (OPML and [[feed]]) is polled once; the later entry wins.
    let mut seen = std::collections::HashSet::new();
    feeds.reverse();
    feeds.retain(|f| seen.insert(f.id_url()));
    feeds.reverse();
    Ok(feeds)
}

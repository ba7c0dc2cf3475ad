//! The primary-source tables of a configuration: `[[federal_register]]` (a Federal Register
//! API query; with `public_inspection = true` also the public-inspection desk, as a second
//! source) and `[[screening_list]]` (a Consolidated Screening List file, diffed poll to poll),
//! as written and resolved into [`FeedSpec`]s of their kind. Called by [`super::resolve`].

use super::files::{Ctx, DAY, Files, SEC};
use super::*;
use crate::model::FeedSource;
use crate::model::regulatory::{FrQuery, ListQuery, SourceKind};
use serde::Deserialize;
use toml::Spanned;

/// The API's address when `api` is not set.
pub const FR_API: &str = "https://www.federalregister.gov/api/v1";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFederalRegister {
    pub name: Option<String>,
    #[serde(default)]
    pub agencies: Vec<String>,
    #[serde(default)]
    pub types: Vec<Spanned<String>>,
    pub terms: Option<String>,
    #[serde(default)]
    pub public_inspection: bool,
    pub report: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub api: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScreeningList {
    pub name: Option<String>,
    pub url: Spanned<String>,
    #[serde(default)]
    pub lists: Vec<String>,
    pub interval: Option<Spanned<String>>,
    pub report: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `report = "all" | "matching"`.
fn report_all(cx: &Ctx, r: &Option<Spanned<String>>, default: bool) -> Result<bool, ConfigError> {
    match r {
        None => Ok(default),
        Some(v) => match v.get_ref().trim() {
            "all" => Ok(true),
            "matching" => Ok(false),
            other => Err(cx.err(
                v,
                format!(
                    "report = {other:?} — {}",
                    super::diag::enum_hint(other, &["all", "matching"])
                ),
            )),
        },
    }
}

fn interval(
    cx: &Ctx,
    i: &Option<Spanned<String>>,
    what: &str,
) -> Result<Option<Duration>, ConfigError> {
    match i {
        Some(_) => Ok(Some(cx.duration_in(
            i,
            Duration::ZERO,
            (SEC, 365 * DAY),
            what,
        )?)),
        None => Ok(None),
    }
}

fn spec(
    name: String,
    url: url::Url,
    tags: &[String],
    interval: Option<Duration>,
    kind: SourceKind,
) -> FeedSpec {
    FeedSpec {
        source: FeedSource::Url(url),
        name,
        tags: tags.to_vec(),
        interval,
        default_offset: None,
        headers: Vec::new(),
        user_written: true,
        kind,
    }
}

/// The sources of every `[[federal_register]]` table.
pub(super) fn resolve_federal_register(
    cx: &Ctx,
    tables: &[RawFederalRegister],
) -> Option<Vec<FeedSpec>> {
    every_table(cx, tables, |t| federal_register(cx, t))
}

/// Each table through `one`, every error reported; None when one failed.
fn every_table<T>(
    cx: &Ctx,
    tables: &[T],
    one: impl Fn(&T) -> Result<Vec<FeedSpec>, ConfigError>,
) -> Option<Vec<FeedSpec>> {
    let mut out = Vec::new();
    let mut failed = false;
    for t in tables {
        match cx.ok(one(t)) {
            Some(specs) => out.extend(specs),
            None => failed = true,
        }
    }
    (!failed).then_some(out)
}

/// One `[[federal_register]]` table: its documents source, and its public-inspection one.
fn federal_register(cx: &Ctx, t: &RawFederalRegister) -> Result<Vec<FeedSpec>, ConfigError> {
    let mut out = Vec::new();
    let api = match &t.api {
        Some(a) => {
            let u = url::Url::parse(a.get_ref()).map_err(|e| {
                cx.err(
                    a,
                    format!("[[federal_register]] api {:?}: {e}", a.get_ref()),
                )
            })?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(cx.err(
                    a,
                    "[[federal_register]] api: must be an http or https address",
                ));
            }
            u
        }
        None => url::Url::parse(FR_API).map_err(|e| ConfigError::Invalid {
            location: cx.path.clone(),
            message: format!("built-in Federal Register address: {e}"),
        })?,
    };
    let mut types = Vec::new();
    for ty in &t.types {
        let code = ty.get_ref().trim().to_ascii_uppercase();
        if !matches!(code.as_str(), "RULE" | "PRORULE" | "NOTICE" | "PRESDOCU") {
            return Err(cx.err(
                ty,
                format!(
                    "[[federal_register]] types: {:?} is not a document type — {}",
                    ty.get_ref(),
                    super::diag::enum_hint(&code, &["RULE", "PRORULE", "NOTICE", "PRESDOCU"])
                ),
            ));
        }
        types.push(code);
    }
    let query = FrQuery {
        public_inspection: false,
        agencies: t.agencies.iter().map(|a| a.trim().to_string()).collect(),
        types,
        terms: t.terms.clone().filter(|s| !s.trim().is_empty()),
        report_all: report_all(cx, &t.report, false)?,
    };
    let name = t.name.clone().unwrap_or_else(|| "Federal Register".into());
    let every = interval(cx, &t.interval, "[[federal_register]] interval")?;
    let url = query_url(&api, &query);
    out.push(spec(
        name.clone(),
        url,
        &t.tags,
        every,
        SourceKind::FederalRegister(query.clone()),
    ));
    if t.public_inspection {
        let desk = FrQuery {
            public_inspection: true,
            ..query
        };
        let url = query_url(&api, &desk);
        out.push(spec(
            name,
            url,
            &t.tags,
            every,
            SourceKind::FederalRegister(desk),
        ));
    }
    Ok(out)
}

/// The sources of every `[[screening_list]]` table (an address, or a local file's path).
pub(super) fn resolve_screening_lists(
    cx: &Ctx,
    files: &Files,
    tables: &[RawScreeningList],
) -> Option<Vec<FeedSpec>> {
    every_table(cx, tables, |t| screening_list(cx, files, t))
}

/// One `[[screening_list]]` table.
fn screening_list(
    cx: &Ctx,
    files: &Files,
    t: &RawScreeningList,
) -> Result<Vec<FeedSpec>, ConfigError> {
    let mut out = Vec::new();
    let raw = t.url.get_ref().trim();
    let source = match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => FeedSource::Url(u),
        Ok(u) if u.scheme().len() > 1 => {
            return Err(cx.err(
                &t.url,
                format!("[[screening_list]] url {raw:?}: scheme must be http, https or file (or give a path)"),
            ));
        }
        _ => {
            let path = files.resolve(raw);
            FeedSource::Path(std::path::absolute(&path).unwrap_or(path))
        }
    };
    let query = ListQuery {
        lists: t
            .lists
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        // A list's changes are what the source is for: every one is reported unless
        // `report = "matching"`.
        report_all: report_all(cx, &t.report, true)?,
    };
    out.push(FeedSpec {
        source,
        name: t.name.clone().unwrap_or_else(|| "Screening list".into()),
        tags: t.tags.clone(),
        interval: interval(cx, &t.interval, "[[screening_list]] interval")?,
        default_offset: None,
        headers: Vec::new(),
        user_written: true,
        kind: SourceKind::ScreeningList(query),
    });
    Ok(out)
}

/// Fields the documents search is asked for (`fields[]`).
pub const FIELDS: &[&str] = &[
    "abstract",
    "action",
    "agencies",
    "cfr_references",
    "citation",
    "comments_close_on",
    "dates",
    "docket_ids",
    "document_number",
    "effective_on",
    "html_url",
    "pdf_url",
    "publication_date",
    "regulation_id_numbers",
    "title",
    "type",
];

/// Documents asked for per poll, newest first (BIS publishes a few a week).
pub const PER_PAGE: u32 = 100;

/// The address a query is polled at: the documents search with conditions and fields, or the
/// public-inspection desk.
pub fn query_url(api: &url::Url, q: &FrQuery) -> url::Url {
    let mut u = api.clone();
    let base = u.path().trim_end_matches('/').to_string();
    if q.public_inspection {
        u.set_path(&format!("{base}/public-inspection-documents/current.json"));
        u.set_query(None);
        return u;
    }
    u.set_path(&format!("{base}/documents.json"));
    u.set_query(None);
    {
        let mut p = u.query_pairs_mut();
        p.append_pair("per_page", &PER_PAGE.to_string());
        p.append_pair("order", "newest");
        for a in &q.agencies {
            p.append_pair("conditions[agencies][]", a);
        }
        for t in &q.types {
            p.append_pair("conditions[type][]", t);
        }
        if let Some(t) = &q.terms {
            p.append_pair("conditions[term]", t);
        }
        for f in FIELDS {
            p.append_pair("fields[]", f);
        }
    }
    u
}

//! The Federal Register source kind: a page of the documents search (`documents.json`) or the
//! public-inspection desk (`public-inspection-documents/current.json`) → one entry per document
//! (key = document number; title, abstract) carrying an [`FrDoc`] (type, citation, dates, CFR
//! parts, dockets, RINs, agencies, links). The desk lists every agency: it is filtered here by
//! the query's agencies, types and terms. Pure; called by [`super::read`]. Formats:
//! `../shared/corpus/regulatory/FORMATS.md` §1.

use crate::model::regulatory::{FrDoc, FrQuery};
use crate::model::{Entry, EntryMeta, FeedSpec, ParsedFeed};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

/// A search or desk response; `results` is absent when nothing matched.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    results: Vec<Doc>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Doc {
    document_number: Option<String>,
    title: Option<String>,
    #[serde(rename = "type")]
    doc_type: Option<String>,
    #[serde(rename = "abstract")]
    summary: Option<String>,
    action: Option<String>,
    dates: Option<String>,
    citation: Option<String>,
    publication_date: Option<String>,
    effective_on: Option<String>,
    comments_close_on: Option<String>,
    cfr_references: Vec<CfrRef>,
    docket_ids: Vec<String>,
    /// The desk's name for docket ids.
    docket_numbers: Vec<String>,
    regulation_id_numbers: Vec<String>,
    agencies: Vec<Agency>,
    html_url: Option<String>,
    pdf_url: Option<String>,
    filed_at: Option<String>,
    editorial_note: Option<String>,
    subject_1: Option<String>,
    subject_2: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct CfrRef {
    title: Option<serde_json::Value>,
    part: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Agency {
    name: Option<String>,
    raw_name: Option<String>,
    slug: Option<String>,
}

/// The API's type names ("Proposed Rule") as the codes the query uses (PRORULE).
pub fn type_code(api: &str) -> String {
    match api.trim().to_ascii_lowercase().as_str() {
        "rule" => "RULE".into(),
        "proposed rule" => "PRORULE".into(),
        "notice" => "NOTICE".into(),
        "presidential document" => "PRESDOCU".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// Reads one API response. A body that is not the API's JSON (an HTML error page) is an error.
pub fn read(spec: &FeedSpec, q: &FrQuery, body: &[u8]) -> Result<ParsedFeed, String> {
    if crate::parse::looks_like_html(body) {
        return Err("the Federal Register API answered with an HTML page, not JSON".into());
    }
    let page: Page = serde_json::from_slice(body)
        .map_err(|e| format!("not a Federal Register API response: {e}"))?;
    let entries: Vec<Entry> = page
        .results
        .into_iter()
        .filter(|d| !q.public_inspection || on_desk_wanted(q, d))
        .filter_map(|d| entry(q, d))
        .collect();
    let what = if q.public_inspection {
        "public inspection"
    } else {
        "documents"
    };
    Ok(ParsedFeed::of_source(
        "federal-register-api",
        Some(format!("{} ({what})", spec.name)),
        entries,
    ))
}

/// The desk lists every agency's filings: keep those the query asks for.
fn on_desk_wanted(q: &FrQuery, d: &Doc) -> bool {
    let agency = q.agencies.is_empty()
        || d.agencies.iter().any(|a| {
            a.slug
                .as_deref()
                .is_some_and(|s| q.agencies.iter().any(|w| w == s))
        });
    let kind = q.types.is_empty()
        || d.doc_type
            .as_deref()
            .is_some_and(|t| q.types.contains(&type_code(t)));
    let terms = match &q.terms {
        None => true,
        Some(t) => {
            let text = format!(
                "{} {} {}",
                d.title.as_deref().unwrap_or(""),
                d.subject_1.as_deref().unwrap_or(""),
                d.subject_2.as_deref().unwrap_or("")
            )
            .to_lowercase();
            let phrase = t.trim().trim_matches('"').to_lowercase();
            text.contains(&phrase)
        }
    };
    agency && kind && terms
}

/// The document's metadata (None without a document number).
fn fr_doc(q: &FrQuery, d: &Doc) -> Option<FrDoc> {
    let number = d.document_number.as_deref()?.trim().to_string();
    if number.is_empty() {
        return None;
    }
    let date = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
            .map(str::to_string)
    };
    Some(FrDoc {
        document_number: number.clone(),
        doc_type: d.doc_type.as_deref().map(type_code).unwrap_or_default(),
        citation: d.citation.clone().filter(|c| !c.trim().is_empty()),
        publication_date: date(&d.publication_date),
        effective_on: date(&d.effective_on),
        comments_close_on: date(&d.comments_close_on),
        cfr_parts: d
            .cfr_references
            .iter()
            .filter_map(|r| {
                Some(format!(
                    "{} CFR {}",
                    plain(r.title.as_ref()?),
                    plain(r.part.as_ref()?)
                ))
            })
            .collect(),
        docket_ids: if d.docket_ids.is_empty() {
            d.docket_numbers.clone()
        } else {
            d.docket_ids.clone()
        },
        rins: d.regulation_id_numbers.clone(),
        agencies: d
            .agencies
            .iter()
            .filter_map(|a| a.name.clone().or_else(|| a.raw_name.clone()))
            .collect(),
        html_url: d.html_url.clone(),
        pdf_url: d.pdf_url.clone(),
        public_inspection: q.public_inspection,
    })
}

fn entry(q: &FrQuery, d: Doc) -> Option<Entry> {
    let doc = fr_doc(q, &d)?;
    let number = doc.document_number.clone();
    let title = d
        .title
        .as_deref()
        .or(d.subject_1.as_deref())
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let summary = summary_of(q, &d, &doc);
    let content = content_of(&d, &doc);
    let published = if q.public_inspection {
        d.filed_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    } else {
        doc.publication_date.as_deref().and_then(eastern_midnight)
    };
    Some(Entry {
        key: number,
        title,
        link: doc.html_url.clone(),
        canonical_link: doc
            .html_url
            .as_deref()
            .and_then(|l| crate::parse::link::canonical_link(l, None)),
        published,
        summary,
        content,
        link_shared: false,
        outlet: None,
        meta: Some(EntryMeta::FederalRegister(doc)),
    })
}

/// The abstract; for a document on public inspection, when it is to be published.
fn summary_of(q: &FrQuery, d: &Doc, doc: &FrDoc) -> String {
    let mut summary = d.summary.clone().unwrap_or_default();
    if q.public_inspection {
        let when = doc
            .publication_date
            .as_deref()
            .unwrap_or("a date not yet set");
        summary = format!("On public inspection, to be published {when}.");
        if let Some(n) = d.editorial_note.as_deref().filter(|n| !n.trim().is_empty()) {
            summary.push_str(" Editorial note: ");
            summary.push_str(n.trim());
        }
    }
    summary
}

/// What rules can match besides the title and abstract: the action, dates text, citation,
/// CFR parts, dockets and RINs.
fn content_of(d: &Doc, doc: &FrDoc) -> String {
    [
        d.action.clone().unwrap_or_default(),
        d.dates.clone().unwrap_or_default(),
        doc.citation.clone().unwrap_or_default(),
        doc.cfr_parts.join("; "),
        doc.docket_ids.join("; "),
        doc.rins.join("; "),
        doc.agencies.join("; "),
    ]
    .iter()
    .filter(|s| !s.trim().is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join("\n")
}

/// A JSON number or string as text ("15", "744").
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

/// A publication date: the issue is out at 00:00 US Eastern.
fn eastern_midnight(day: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    chrono_tz::America::New_York
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

//! Plain data of the source kinds ([`SourceKind`]): what a Federal Register query or a
//! screening list is, as configured, and the structured metadata such sources attach to their
//! entries ([`EntryMeta`]: a Federal Register document, a screening-list change) and the
//! screening-list snapshot kept between polls. Built by `config` and `source`, stored by
//! `store`, shown by `digest` and `chipwatch deadlines`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of source a configured source is; the fetch, politeness, schedule and health of
/// all kinds are shared, only the reading of a fetched body differs ([`crate::source`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// An RSS, Atom, RDF or JSON Feed document (`[[feed]]`, OPML).
    #[default]
    Feed,
    /// A `[[federal_register]]` query: the documents search, or the public-inspection desk.
    FederalRegister(FrQuery),
    /// A `[[screening_list]]`: Consolidated Screening List snapshots, diffed poll to poll.
    ScreeningList(ListQuery),
}

impl SourceKind {
    /// The kind's name, as `feeds status` shows it.
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::FederalRegister(q) if q.public_inspection => {
                "federal_register (public inspection)"
            }
            SourceKind::FederalRegister(_) => "federal_register",
            SourceKind::ScreeningList(_) => "screening_list",
        }
    }

    /// Whether every entry is reported (`report = "all"`), not only those rules match.
    pub fn report_all(&self) -> bool {
        match self {
            SourceKind::Feed => false,
            SourceKind::FederalRegister(q) => q.report_all,
            SourceKind::ScreeningList(q) => q.report_all,
        }
    }
}

/// One Federal Register endpoint of a `[[federal_register]]` table (a table with
/// `public_inspection = true` is two sources: the documents search and the inspection desk).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrQuery {
    /// This source reads `public-inspection-documents/current.json` (filtered here by agency,
    /// type and terms), not the documents search.
    pub public_inspection: bool,
    /// Agency slugs (empty: all).
    pub agencies: Vec<String>,
    /// API type codes: RULE, PRORULE, NOTICE, PRESDOCU (empty: all).
    pub types: Vec<String>,
    /// Full-text search terms, as the API takes them.
    pub terms: Option<String>,
    pub report_all: bool,
}

/// A `[[screening_list]]`: which lists of the file to follow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// Starts of the `source` column to keep, compared case-insensitively (empty: all).
    pub lists: Vec<String>,
    pub report_all: bool,
}

/// Structured metadata an entry from a non-feed source carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryMeta {
    FederalRegister(FrDoc),
    ScreeningChange(ScreeningChange),
}

impl EntryMeta {
    /// The story every entry about this government action shares (a document on public
    /// inspection and its published version are one story, by document number).
    pub fn story_key(&self) -> Option<String> {
        match self {
            EntryMeta::FederalRegister(d) => Some(fr_story_key(&d.document_number)),
            EntryMeta::ScreeningChange(_) => None,
        }
    }
}

/// The story key of a Federal Register document.
pub fn fr_story_key(document_number: &str) -> String {
    format!("fr:{document_number}")
}

/// The story alias of a Federal Register citation ("90 FR 36257"), normalised.
pub fn fr_citation_key(citation: &str) -> Option<String> {
    let parts: Vec<&str> = citation.split_whitespace().collect();
    match parts.as_slice() {
        [vol, fr, page]
            if fr.eq_ignore_ascii_case("FR")
                && vol.chars().all(|c| c.is_ascii_digit())
                && page.chars().all(|c| c.is_ascii_digit())
                && !vol.is_empty()
                && !page.is_empty() =>
        {
            Some(format!("frcite:{vol} FR {page}"))
        }
        _ => None,
    }
}

/// A Federal Register document (published, or on public inspection).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrDoc {
    pub document_number: String,
    /// API type code: RULE, PRORULE, NOTICE, PRESDOCU (or what the API said, upper-cased).
    pub doc_type: String,
    /// "90 FR 36257" (None until published).
    pub citation: Option<String>,
    /// Dates as YYYY-MM-DD.
    pub publication_date: Option<String>,
    pub effective_on: Option<String>,
    pub comments_close_on: Option<String>,
    /// "15 CFR 744", …
    pub cfr_parts: Vec<String>,
    pub docket_ids: Vec<String>,
    pub rins: Vec<String>,
    pub agencies: Vec<String>,
    pub html_url: Option<String>,
    pub pdf_url: Option<String>,
    /// Read from the public-inspection desk: filed, not yet published.
    pub public_inspection: bool,
}

impl FrDoc {
    /// "Final rule", "Proposed rule", "Notice", "Presidential document".
    pub fn type_label(&self) -> &str {
        match self.doc_type.as_str() {
            "RULE" => "Final rule",
            "PRORULE" => "Proposed rule",
            "NOTICE" => "Notice",
            "PRESDOCU" => "Presidential document",
            "" => "Document",
            other => other,
        }
    }
}

/// One record of a screening list, as compared between snapshots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct ScreeningRecord {
    /// The list's short name ("Entity List"), and as the file names it.
    pub list: String,
    pub source: String,
    pub name: String,
    /// Countries from the addresses (two-letter codes), else nationalities/citizenships.
    pub countries: Vec<String>,
    pub entity_number: String,
    pub alt_names: String,
    pub addresses: String,
    pub federal_register_notice: String,
    pub start_date: String,
    pub end_date: String,
    pub license_requirement: String,
    pub license_policy: String,
    pub programs: String,
    pub remarks: String,
}

/// How a record differs between two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// A change of one record, with the fields that changed (for `Changed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningChange {
    pub change: ChangeKind,
    pub record: ScreeningRecord,
    pub fields: Vec<String>,
}

/// The records of a screening list at one poll, by stable identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub records: BTreeMap<String, ScreeningRecord>,
}

//! The screening-list source kind: a Consolidated Screening List file (trade.gov CSV, or its
//! JSON) → parsed records with a stable identity → diffed with the previous poll's snapshot →
//! one entry per addition, removal or changed record, carrying a
//! [`crate::model::regulatory::ScreeningChange`]. Records
//! are compared parsed, never as lines (quoting and order change between downloads; real files
//! repeat the header row and carry short rows, which are skipped). The first poll records the
//! baseline and reports nothing. The diff and the entries it makes are [`super::screening_diff`].
//! Pure; called by [`super::read`].

use super::screening_diff::{diff, entry};
use crate::model::regulatory::{ListQuery, ScreeningRecord, Snapshot};
use crate::model::{FeedSpec, ParsedFeed};
use std::collections::BTreeMap;

/// Reads a snapshot and diffs it with `prior` (None: the first poll, the baseline).
pub fn read(
    spec: &FeedSpec,
    q: &ListQuery,
    body: &[u8],
    prior: Option<&Snapshot>,
) -> Result<(ParsedFeed, Snapshot), String> {
    let snapshot = parse(body)?;
    let entries = match prior {
        Some(old) => diff(old, &snapshot, &q.lists)
            .into_iter()
            .map(entry)
            .collect(),
        None => Vec::new(),
    };
    let mut feed = ParsedFeed::of_source("screening-list", Some(spec.name.clone()), entries);
    feed.item_elements = snapshot.records.len();
    Ok((feed, snapshot))
}

/// Parses a CSV (29 or pre-2020 28 columns) or JSON screening list into records by identity.
pub fn parse(body: &[u8]) -> Result<Snapshot, String> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let rows = if body.get(start) == Some(&b'{') || body.get(start) == Some(&b'[') {
        json_rows(&body[start..])?
    } else {
        csv_rows(body)?
    };
    let parsed: Vec<(String, ScreeningRecord)> = rows
        .iter()
        .filter_map(|r| {
            let rec = record(r)?;
            let id = identity(
                &rec,
                r.get("entity_number").map(String::as_str).unwrap_or(""),
            );
            Some((id, rec))
        })
        .collect();
    // Several records of one list with the same name and country (the Entity List has five
    // "Gunther Migeotte", one per address) are told apart by address, then notice and date —
    // for all of them, so the identity does not depend on the order of the rows.
    let mut per_base: std::collections::HashMap<&str, usize> = Default::default();
    for (id, _) in &parsed {
        *per_base.entry(id.as_str()).or_default() += 1;
    }
    let mut records = BTreeMap::new();
    for (base, rec) in &parsed {
        let key = if per_base.get(base.as_str()).copied().unwrap_or(0) > 1 {
            format!("{base}|{}", norm(&rec.addresses))
        } else {
            base.clone()
        };
        let key = if records.contains_key(&key) {
            format!("{key}|{}|{}", rec.federal_register_notice, rec.start_date)
        } else {
            key
        };
        // Still the same: the rows are the same record listed twice; keep one.
        records.entry(key).or_insert_with(|| rec.clone());
    }
    if records.is_empty() {
        return Err(
            "no screening-list records in the document (not a CSL CSV or JSON file?)".into(),
        );
    }
    Ok(Snapshot { records })
}

type Row = BTreeMap<String, String>;

fn csv_rows(body: &[u8]) -> Result<Vec<Row>, String> {
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(body);
    let header: Vec<String> = rd
        .byte_headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    if !header.iter().any(|h| h == "name") || !header.iter().any(|h| h == "source") {
        return Err("not a Consolidated Screening List CSV (no name and source columns)".into());
    }
    let mut out = Vec::new();
    for rec in rd.byte_records() {
        // A row the CSV reader cannot read, a short row and a repeated header row are skipped.
        let Ok(rec) = rec else { continue };
        if rec.len() != header.len() {
            continue;
        }
        let row: Row = header
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        if row.get("name").map(String::as_str) == Some("name") {
            continue;
        }
        out.push(row);
    }
    Ok(out)
}

/// The JSON form (`{"results": [...]}`, lists as arrays, addresses as objects).
fn json_rows(body: &[u8]) -> Result<Vec<Row>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("screening list JSON: {e}"))?;
    let list = match &v {
        serde_json::Value::Array(a) => a,
        other => other
            .get("results")
            .and_then(|r| r.as_array())
            .ok_or("screening list JSON without results")?,
    };
    Ok(list
        .iter()
        .filter_map(|r| r.as_object())
        .map(|o| o.iter().map(|(k, v)| (k.clone(), flat(v))).collect())
        .collect())
}

fn flat(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(flat)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(o) => ["address", "city", "state", "postal_code", "country"]
            .iter()
            .filter_map(|k| o.get(*k).map(flat))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn record(r: &Row) -> Option<ScreeningRecord> {
    let get = |k: &str| r.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (source, name) = (get("source"), get("name"));
    if source.is_empty() || name.is_empty() {
        return None;
    }
    let addresses = get("addresses");
    let mut countries: Vec<String> = addresses
        .split("; ")
        .filter_map(|a| {
            let code = a.trim().rsplit([',', ' ']).next()?;
            (code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()))
                .then(|| code.to_string())
        })
        .collect();
    if countries.is_empty() {
        for k in ["nationalities", "citizenships"] {
            countries.extend(
                get(k)
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
        }
    }
    countries.sort();
    countries.dedup();
    Some(ScreeningRecord {
        list: short_list(&source),
        source,
        name,
        countries,
        entity_number: get("entity_number"),
        alt_names: get("alt_names"),
        addresses,
        federal_register_notice: get("federal_register_notice"),
        start_date: get("start_date"),
        end_date: get("end_date"),
        license_requirement: get("license_requirement"),
        license_policy: get("license_policy"),
        programs: get("programs"),
        remarks: get("remarks"),
    })
}

/// "Entity List (EL) - Bureau of Industry and Security" → "Entity List (EL)".
fn short_list(source: &str) -> String {
    source
        .split(" - ")
        .next()
        .unwrap_or(source)
        .trim()
        .to_string()
}

/// A record's stable identity: the list's entity number where it has one (OFAC), else the
/// normalised name, countries and list. Not the file's `_id`: it is a hash that changed for the
/// same record between two real downloads (Academy of Aerospace Solid Propulsion Technology,
/// MEU List: 32 hex digits in 2023, 56 in 2025).
pub(super) fn identity(rec: &ScreeningRecord, entity_number: &str) -> String {
    if !entity_number.is_empty() {
        return format!("{}|#{}", rec.list, entity_number);
    }
    format!(
        "{}|{}|{}",
        rec.list,
        norm(&rec.name),
        rec.countries.join(",")
    )
}

/// Case, spacing and punctuation folded, so a re-typed record keeps its identity.
fn norm(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

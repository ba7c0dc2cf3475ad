//! The screening-list source kind: a Consolidated Screening List file (trade.gov CSV, or its
//! JSON) → parsed records with a stable identity → diffed with the previous poll's snapshot →
//! one entry per addition, removal or changed record, carrying a
//! [`crate::model::regulatory::ScreeningChange`]. Records
//! are compared parsed, never as lines (quoting and order change between downloads; real files
//! repeat the header row and carry short rows, which are skipped). The first poll records the
//! baseline and reports nothing. The diff and the entries it makes are [`super::screening_diff`].
//! Pure; called by [`super::read`].

use super::screening_diff::{diff, entry, identity, norm};
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
    let parsed = if body.get(start) == Some(&b'{') || body.get(start) == Some(&b'[') {
        json_records(&body[start..])?
    } else {
        csv_records(body)?
    };
    let records = by_identity(parsed);
    if records.is_empty() {
        return Err(
            "no screening-list records in the document (not a CSL CSV or JSON file?)".into(),
        );
    }
    Ok(Snapshot { records })
}

/// Gives every record a key no other record of the snapshot has, whatever the order of the
/// rows: records of one list with the same name and country (the Entity List has five "Gunther
/// Migeotte", one per address) are told apart by address, then by notice and date; rows still
/// alike are one record listed twice (the greater one is kept, so the choice is stable).
fn by_identity(parsed: Vec<(String, ScreeningRecord)>) -> BTreeMap<String, ScreeningRecord> {
    let levels: [fn(&ScreeningRecord) -> String; 2] = [
        |r| norm(&r.addresses),
        |r| format!("{}|{}", r.federal_register_notice, r.start_date),
    ];
    let mut keyed = parsed;
    for level in levels {
        let mut count: std::collections::HashMap<String, usize> = Default::default();
        for (k, _) in &keyed {
            *count.entry(k.clone()).or_default() += 1;
        }
        keyed = keyed
            .into_iter()
            .map(|(k, r)| {
                if count.get(&k).copied().unwrap_or(0) > 1 {
                    (format!("{k}|{}", level(&r)), r)
                } else {
                    (k, r)
                }
            })
            .collect();
    }
    let mut out: BTreeMap<String, ScreeningRecord> = BTreeMap::new();
    for (k, r) in keyed {
        match out.entry(k) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(r);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                if r > *o.get() {
                    o.insert(r);
                }
            }
        }
    }
    out
}

/// The records of a CSV download, read row by row into the fields compared (a 26,000-row file
/// is never held as strings of every column).
fn csv_records(body: &[u8]) -> Result<Vec<(String, ScreeningRecord)>, String> {
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
    let col = |name: &str| header.iter().position(|h| h == name);
    let name_col = col("name");
    let mut out = Vec::new();
    for rec in rd.byte_records() {
        // A row the CSV reader cannot read, a short row and a repeated header row are skipped.
        let Ok(rec) = rec else { continue };
        if rec.len() != header.len() || name_col.and_then(|i| rec.get(i)) == Some(b"name") {
            continue;
        }
        let get = |k: &str| {
            col(k)
                .and_then(|i| rec.get(i))
                .map(|v| String::from_utf8_lossy(v).trim().to_string())
                .unwrap_or_default()
        };
        if let Some(r) = record(&get) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The JSON form (`{"results": [...]}`, lists as arrays, addresses as objects).
fn json_records(body: &[u8]) -> Result<Vec<(String, ScreeningRecord)>, String> {
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
        .filter_map(|o| {
            record(&|k: &str| o.get(k).map(flat).unwrap_or_default().trim().to_string())
        })
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

/// One record from its cells (by column name), with its base identity.
fn record(get: &dyn Fn(&str) -> String) -> Option<(String, ScreeningRecord)> {
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
    let rec = ScreeningRecord {
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
    };
    Some((identity(&rec, &rec.entity_number), rec))
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

//! Screening-list changes: the diff of two snapshots by stable identity (additions, removals,
//! records whose aliases, addresses, licence terms, FR citations or dates changed — cells
//! compared as sets, so reordering is no change), the entry each change becomes ("Entity List
//! (EL): added Foo Co. (China) — 91 FR 50200, effective …"), country names and the link of a
//! record's newest FR citation, and a record's stable identity. Pure; used by
//! [`super::screening`] and the digest's section.

use crate::model::regulatory::{ChangeKind, ScreeningChange, ScreeningRecord, Snapshot};
use crate::model::{Entry, EntryMeta};

/// Whether a record's list is followed (`lists` match the start of `source`, any case).
pub fn followed(rec: &ScreeningRecord, lists: &[String]) -> bool {
    lists.is_empty()
        || lists.iter().any(|l| {
            rec.source
                .get(..l.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(l))
        })
}

/// Additions, removals and changed records of the followed lists, in identity order.
pub fn diff(old: &Snapshot, new: &Snapshot, lists: &[String]) -> Vec<ScreeningChange> {
    let mut out = Vec::new();
    for (k, rec) in new.records.iter().filter(|(_, r)| followed(r, lists)) {
        match old.records.get(k) {
            None => out.push(ScreeningChange {
                change: ChangeKind::Added,
                record: rec.clone(),
                fields: Vec::new(),
            }),
            // Most records are unchanged, byte for byte: no need to compare cell by cell.
            Some(before) if before == rec => {}
            Some(before) => {
                let fields = changed_fields(before, rec);
                if !fields.is_empty() {
                    out.push(ScreeningChange {
                        change: ChangeKind::Changed,
                        record: rec.clone(),
                        fields,
                    });
                }
            }
        }
    }
    for (k, rec) in old.records.iter().filter(|(_, r)| followed(r, lists)) {
        if !new.records.contains_key(k) {
            out.push(ScreeningChange {
                change: ChangeKind::Removed,
                record: rec.clone(),
                fields: Vec::new(),
            });
        }
    }
    out
}

fn changed_fields(a: &ScreeningRecord, b: &ScreeningRecord) -> Vec<String> {
    let pairs: [(&str, &String, &String); 9] = [
        ("name", &a.name, &b.name),
        ("aliases", &a.alt_names, &b.alt_names),
        ("addresses", &a.addresses, &b.addresses),
        (
            "licence requirement",
            &a.license_requirement,
            &b.license_requirement,
        ),
        ("licence policy", &a.license_policy, &b.license_policy),
        (
            "FR citation",
            &a.federal_register_notice,
            &b.federal_register_notice,
        ),
        ("start date", &a.start_date, &b.start_date),
        ("end date", &a.end_date, &b.end_date),
        ("programs", &a.programs, &b.programs),
    ];
    pairs
        .iter()
        .filter(|(_, x, y)| norm_list(x) != norm_list(y))
        .map(|(n, _, _)| n.to_string())
        .collect()
}

/// A "; "-joined cell as a sorted set (order changes between downloads are not changes).
fn norm_list(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(';')
        .map(|x| x.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|x| !x.is_empty())
        .collect();
    v.sort();
    v
}

/// Country names for the two-letter codes most lists use; other codes are shown as written.
pub fn country_name(code: &str) -> &str {
    const NAMES: &[(&str, &str)] = &[
        ("AE", "United Arab Emirates"),
        ("AF", "Afghanistan"),
        ("AM", "Armenia"),
        ("AT", "Austria"),
        ("AU", "Australia"),
        ("AZ", "Azerbaijan"),
        ("BE", "Belgium"),
        ("BG", "Bulgaria"),
        ("BY", "Belarus"),
        ("CA", "Canada"),
        ("CH", "Switzerland"),
        ("CN", "China"),
        ("CU", "Cuba"),
        ("CY", "Cyprus"),
        ("CZ", "Czechia"),
        ("DE", "Germany"),
        ("EG", "Egypt"),
        ("ES", "Spain"),
        ("FI", "Finland"),
        ("FR", "France"),
        ("GB", "United Kingdom"),
        ("GE", "Georgia"),
        ("GR", "Greece"),
        ("HK", "Hong Kong"),
        ("ID", "Indonesia"),
        ("IL", "Israel"),
        ("IN", "India"),
        ("IQ", "Iraq"),
        ("IR", "Iran"),
        ("IT", "Italy"),
        ("JO", "Jordan"),
        ("JP", "Japan"),
        ("KG", "Kyrgyzstan"),
        ("KP", "North Korea"),
        ("KR", "South Korea"),
        ("KZ", "Kazakhstan"),
        ("LB", "Lebanon"),
        ("LV", "Latvia"),
        ("LT", "Lithuania"),
        ("MM", "Burma"),
        ("MY", "Malaysia"),
        ("NL", "Netherlands"),
        ("NO", "Norway"),
        ("OM", "Oman"),
        ("PK", "Pakistan"),
        ("PL", "Poland"),
        ("QA", "Qatar"),
        ("RU", "Russia"),
        ("SA", "Saudi Arabia"),
        ("SE", "Sweden"),
        ("SG", "Singapore"),
        ("SY", "Syria"),
        ("TH", "Thailand"),
        ("TJ", "Tajikistan"),
        ("TR", "Türkiye"),
        ("TW", "Taiwan"),
        ("UA", "Ukraine"),
        ("US", "United States"),
        ("UZ", "Uzbekistan"),
        ("VE", "Venezuela"),
        ("VN", "Vietnam"),
        ("YE", "Yemen"),
        ("ZA", "South Africa"),
    ];
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| n)
}

/// The countries of a record as names ("China, Hong Kong"), or "" when none is known.
pub fn countries_of(rec: &ScreeningRecord) -> String {
    rec.countries
        .iter()
        .map(|c| country_name(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The federalregister.gov page of the newest citation a record carries.
pub fn citation_link(rec: &ScreeningRecord) -> Option<String> {
    let newest = crate::story::cites::citations_in(&rec.federal_register_notice).pop()?;
    let cite = newest.strip_prefix("frcite:")?;
    Some(format!(
        "https://www.federalregister.gov/citation/{}",
        cite.replace(' ', "-")
    ))
}

/// The entry a change becomes.
pub fn entry(c: ScreeningChange) -> Entry {
    let r = &c.record;
    let verb = match c.change {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    };
    let countries = countries_of(r);
    let mut title = format!("{}: {verb} {}", r.list, r.name);
    if !countries.is_empty() {
        title.push_str(&format!(" ({countries})"));
    }
    if !r.federal_register_notice.is_empty() {
        title.push_str(&format!(" — {}", r.federal_register_notice));
    }
    if !r.start_date.is_empty() && c.change == ChangeKind::Added {
        title.push_str(&format!(", effective {}", r.start_date));
    }
    let mut summary = Vec::new();
    if c.change == ChangeKind::Changed {
        summary.push(format!("Changed: {}.", c.fields.join(", ")));
    }
    for (label, v) in [
        ("Also known as", &r.alt_names),
        ("Addresses", &r.addresses),
        ("Licence requirement", &r.license_requirement),
        ("Licence policy", &r.license_policy),
    ] {
        if !v.is_empty() {
            summary.push(format!("{label}: {v}."));
        }
    }
    let content = [r.programs.as_str(), r.remarks.as_str(), r.source.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    // One key per change event: the same record added, removed and added again is three.
    let key = format!(
        "{verb}:{}:{:016x}",
        identity(r, &r.entity_number),
        fingerprint(r)
    );
    Entry {
        key,
        title,
        link: citation_link(r),
        canonical_link: None,
        published: None,
        summary: summary.join(" "),
        content,
        link_shared: false,
        outlet: None,
        meta: Some(EntryMeta::ScreeningChange(c)),
    }
}

/// FNV-1a over a record's fields.
fn fingerprint(r: &ScreeningRecord) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in [
        &r.name,
        &r.alt_names,
        &r.addresses,
        &r.federal_register_notice,
        &r.start_date,
        &r.end_date,
        &r.license_requirement,
        &r.license_policy,
        &r.programs,
    ] {
        for b in f.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
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
pub(super) fn norm(s: &str) -> String {
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

//! Primary sources end to end (issue 13): a loopback Federal Register API (documents search and
//! public-inspection desk, real responses plus BIS documents in the same shape) and a
//! screening-list file on loopback, polled by the real binary into a real SQLite file; digests
//! written as .eml files. Checks: every document once with citation, type and dates; news
//! citing a document joins its story; the calendar attachment parses with an iCalendar library
//! and holds one event per date; publication after public inspection sends nothing new;
//! `chipwatch deadlines`; `feeds status` shows the kinds; the screening-list diff reports
//! exactly the changes made, by list and country.

use crate::common::http::FeedServer;
use crate::util::{Env, decoded};
use serde_json::{Value, json};

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(rel),
    )
    .expect("fixture")
}

fn bis() -> Value {
    json!([
        {"raw_name": "DEPARTMENT OF COMMERCE", "name": "Commerce Department", "id": 54,
         "url": "https://www.federalregister.gov/agencies/commerce-department",
         "json_url": "https://www.federalregister.gov/api/v1/agencies/54", "parent_id": null, "slug": "commerce-department"},
        {"raw_name": "Bureau of Industry and Security", "name": "Industry and Security Bureau", "id": 241,
         "url": "https://www.federalregister.gov/agencies/industry-and-security-bureau",
         "json_url": "https://www.federalregister.gov/api/v1/agencies/241", "parent_id": 54, "slug": "industry-and-security-bureau"}
    ])
}

/// A published document as the search returns it with our `fields[]`.
fn published(
    number: &str,
    kind: &str,
    title: &str,
    citation: &str,
    effective: Option<&str>,
    comments: Option<&str>,
) -> Value {
    json!({
        "abstract": format!("BIS {title}."), "action": if kind == "Rule" { "Final rule." } else { "Proposed rule." },
        "agencies": bis(), "cfr_references": [{"title": 15, "part": 744, "chapter": "VII", "citation_url": null}],
        "citation": citation, "comments_close_on": comments, "dates": null,
        "docket_ids": ["Docket No. 261120-0001"], "document_number": number, "effective_on": effective,
        "html_url": format!("https://www.federalregister.gov/documents/2026/12/01/{number}/slug"),
        "pdf_url": format!("https://www.govinfo.gov/content/pkg/FR-2026-12-01/pdf/{number}.pdf"),
        "publication_date": "2026-12-01", "regulation_id_numbers": ["0694-AJ99"], "title": title, "type": kind
    })
}

fn search(results: Vec<Value>) -> String {
    json!({"count": results.len(), "description": "Documents", "total_pages": 1, "results": results}).to_string()
}

/// The real desk of 2026-10-02 plus BIS filings (one rule, one notice the types leave out).
fn desk(extra: Vec<Value>) -> String {
    let mut v: Value =
        serde_json::from_slice(&data("federal-register/pi-current-2026-10-02.json")).unwrap();
    let results = v["results"].as_array_mut().unwrap();
    let template = results[1].clone();
    for e in extra {
        let mut d = template.clone();
        for (k, val) in e.as_object().unwrap() {
            d[k] = val.clone();
        }
        d["agencies"] = bis();
        results.push(d);
    }
    v["count"] = json!(results.len());
    v.to_string()
}

fn pi(number: &str, kind: &str, title: &str) -> Value {
    json!({"document_number": number, "type": kind, "title": format!("{title}  "), "subject_1": title,
           "publication_date": "2026-12-04", "filed_at": "2026-12-03T08:45:00.000-05:00", "editorial_note": null,
           "html_url": format!("https://www.federalregister.gov/public-inspection/{number}/slug"),
           "pdf_url": format!("https://public-inspection.federalregister.gov/{number}.pdf")})
}

const NEWS: &str = "<rss version=\"2.0\"><channel><title>Chip Wire</title><link>https://wire.example/</link>\
<item><guid>w1</guid><title>US adds 12 Chinese chip firms to the Entity List</title><link>https://wire.example/el</link>\
<description>The rule, published at 91 FR 50001, takes effect on December 10.</description><pubDate>Tue, 01 Dec 2026 15:00:00 +0000</pubDate></item>\
</channel></rss>";

/// The BIS final rule most tests use: 91 FR 50001, effective 2026-12-10.
fn entity_list_rule() -> Value {
    published(
        "2026-24001",
        "Rule",
        "Additions to the Entity List",
        "91 FR 50001",
        Some("2026-12-10"),
        None,
    )
}

/// Serves the API's documents search and public-inspection desk, and the news feed.
fn serve(server: &FeedServer, documents: Vec<Value>, on_desk: Vec<Value>) {
    set_documents(server, documents);
    server.set_feed(
        "/api/v1/public-inspection-documents/current.json",
        desk(on_desk),
        "application/json",
    );
    server.set_feed("/news.rss", NEWS, "application/rss+xml");
}

fn set_documents(server: &FeedServer, documents: Vec<Value>) {
    server.set_feed(
        "/api/v1/documents.json",
        search(documents),
        "application/json",
    );
}

fn fr_config(server: &FeedServer) -> String {
    format!(
        "[feeds]\nbackfill = \"all\"\n[mail]\ntransport = \"file\"\n\
         [[federal_register]]\nname = \"BIS rules\"\nagencies = [\"industry-and-security-bureau\"]\ntypes = [\"RULE\", \"PRORULE\"]\n\
         public_inspection = true\nreport = \"all\"\ninterval = \"1h\"\napi = \"{}\"\n\
         [[feed]]\nurl = \"{}\"\nname = \"Chip Wire\"\n\
         [[rule]]\nname = \"entity-list\"\nquery = '\"Entity List\"'\n",
        server.url("/api/v1"),
        server.url("/news.rss")
    )
}

#[test]
fn federal_register_documents_once_with_dates_calendar_and_deadlines() {
    let server = FeedServer::start();
    let a = entity_list_rule();
    let b = published(
        "2026-24002",
        "Proposed Rule",
        "Revisions to License Exception ACA",
        "91 FR 50010",
        None,
        Some("2027-01-15"),
    );
    serve(
        &server,
        vec![a.clone(), b.clone()],
        vec![
            pi("2026-24100", "Rule", "Entity List Additions and Revisions"),
            pi(
                "2026-24101",
                "Notice",
                "Information Collection; Section 232 Inclusions",
            ),
        ],
    );
    let env = Env::new();
    env.write("c.toml", &fr_config(&server));

    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(s["feeds_failed"].as_i64().unwrap_or(0), 0, "{s}");
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1, "{s}");
    let text = decoded(&msgs[0]);
    for number in ["2026-24001", "2026-24002", "2026-24100"] {
        assert_eq!(
            text.matches(&format!("FR Doc. {number}")).count(),
            2,
            "{number} once in each part:\n{text}"
        );
    }
    assert!(
        !text.contains("2026-24101"),
        "the notice is not a wanted type"
    );
    assert!(
        !text.contains("Sunshine Act"),
        "other agencies' filings are left out"
    );
    for want in [
        "Regulatory actions",
        "Final rule · 91 FR 50001 · published Tue 1 Dec 2026 · effective Thu 10 Dec 2026 · 15 CFR 744",
        "Proposed rule · 91 FR 50010 · published Tue 1 Dec 2026 · comments close Fri 15 Jan 2027",
        "Final rule · on public inspection, to be published Fri 4 Dec 2026",
        "RIN 0694-AJ99",
        "Docket No. 261120-0001",
    ] {
        // The text part wraps: a fact line may continue on the next line.
        let flat = text.replace("\n  ", " ");
        assert!(flat.contains(want), "missing {want:?} in:\n{text}");
    }
    let long: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().count() > 78 && !l.contains("://") && !l.contains("c.toml"))
        .collect();
    assert!(long.is_empty(), "lines over 78 columns: {long:?}");
    // The news item citing 91 FR 50001 is the same story: listed under the rule, not apart.
    assert!(
        text.contains("Also reported by:\n    - Chip Wire <https://wire.example/el>"),
        "{text}"
    );
    assert!(!text.contains("== entity-list =="), "{text}");

    // The calendar: one all-day event per date, stable UIDs.
    let (_, ics) = chipwatch::digest::mime::parts(msgs[0].as_bytes())
        .into_iter()
        .find(|(k, _)| k.starts_with("text/calendar"))
        .expect("a text/calendar attachment");
    let events = parse_events(&ics);
    assert_eq!(
        events,
        [
            (
                "2026-24001-effective@chipwatch.federalregister".to_string(),
                "20261210".to_string()
            ),
            (
                "2026-24002-comments_close@chipwatch.federalregister".to_string(),
                "20270115".to_string()
            ),
        ]
    );

    // Published two days later: the desk's rule is now in the search, with its dates. Nothing
    // new is sent: it was reported when it first appeared.
    let c = published(
        "2026-24100",
        "Rule",
        "Entity List Additions and Revisions",
        "91 FR 50200",
        Some("2026-12-04"),
        None,
    );
    server.set_feed(
        "/api/v1/documents.json",
        search(vec![c, a, b]),
        "application/json",
    );
    server.set_feed(
        "/api/v1/public-inspection-documents/current.json",
        desk(vec![]),
        "application/json",
    );
    let s2 = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        env.emls("chipwatch-state/outbox").len(),
        1,
        "nothing new: {s2}"
    );

    // The store's dates, from the published versions.
    let out = env.run(
        "c.toml",
        &[
            "deadlines",
            "--since",
            "2026-01-01",
            "--json",
            "--ics",
            "d.ics",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["document_number"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-12-04", "effective", "2026-24100"),
            ("2026-12-10", "effective", "2026-24001"),
            ("2027-01-15", "comments_close", "2026-24002"),
        ]
    );
    let ics = std::fs::read_to_string(env.path().join("d.ics")).unwrap();
    assert_eq!(parse_events(&ics).len(), 3);
    let later = env.run("c.toml", &["deadlines", "--since", "2027-01-01"]);
    let later = String::from_utf8_lossy(&later.stdout);
    assert_eq!(later.lines().count(), 1, "{later}");
    assert!(
        later.contains("Comments close") && later.contains("91 FR 50010"),
        "{later}"
    );

    // As a new user sees them: each source with its kind.
    let rows = env.feed_status("c.toml");
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"federal_register")
            && kinds.contains(&"federal_register (public inspection)")
            && kinds.contains(&"feed"),
        "{kinds:?}"
    );
}

/// (UID, DTSTART) of every VEVENT, read by the `ical` crate.
fn parse_events(ics: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for cal in ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes())) {
        let cal = cal.expect("valid iCalendar");
        for ev in cal.events {
            let prop = |name: &str| {
                ev.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            assert!(!prop("SUMMARY").is_empty());
            out.push((prop("UID"), prop("DTSTART")));
        }
    }
    out
}

#[test]
fn news_before_the_document_joins_it_when_the_document_arrives() {
    let server = FeedServer::start();
    serve(&server, vec![], vec![]);
    let env = Env::new();
    env.write("c.toml", &fr_config(&server));
    // The news is stored (not yet sent); the rule comes out in the next poll.
    env.once("c.toml", &[]);
    set_documents(&server, vec![entity_list_rule()]);
    env.once("c.toml", &["--digest-now"]);
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let (text, _) = chipwatch::digest::mime::split_parts(msgs[0].as_bytes());
    assert!(
        text.starts_with("chipwatch") && text.contains("1 story in"),
        "{text}"
    );
    assert!(
        text.contains("Also reported by:\n    - Chip Wire <https://wire.example/el>"),
        "{text}"
    );
}

#[test]
fn the_document_leads_its_story_even_when_the_news_scores_higher() {
    // Both arrive in one poll and the news item matches more (and heavier) rules: the story is
    // still shown by the Federal Register document, with the news under "also reported by".
    let server = FeedServer::start();
    serve(&server, vec![entity_list_rule()], vec![]);
    let env = Env::new();
    let config = fr_config(&server)
        + "[[rule]]\nname = \"chip-firms\"\nquery = '\"chip firms\"'\nweight = 50\n";
    env.write("c.toml", &config);
    env.once("c.toml", &["--digest-now"]);
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let (text, html) = chipwatch::digest::mime::split_parts(msgs[0].as_bytes());
    assert!(
        text.contains("* Additions to the Entity List\n  BIS rules · Final rule · 91 FR 50001"),
        "{text}"
    );
    assert!(
        text.contains("Also reported by:\n    - Chip Wire <https://wire.example/el>"),
        "{text}"
    );
    assert!(html.contains("https://wire.example/el"), "{html}");
    assert!(
        !text.contains("* US adds 12 Chinese chip firms"),
        "the news headline does not stand in for the rule:\n{text}"
    );
    let (_, ics) = chipwatch::digest::mime::parts(msgs[0].as_bytes())
        .into_iter()
        .find(|(k, _)| k.starts_with("text/calendar"))
        .expect("calendar attachment");
    assert!(ics.contains("Additions to the Entity List"), "{ics}");
}

#[test]
fn first_poll_honours_backfill() {
    let server = FeedServer::start();
    let mut old = published(
        "2016-04324",
        "Rule",
        "Addition of Certain Persons to the Entity List",
        "81 FR 10470",
        None,
        None,
    );
    old["publication_date"] = json!("2016-02-29");
    let new = entity_list_rule();
    server.set_feed(
        "/api/v1/documents.json",
        search(vec![new, old]),
        "application/json",
    );
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"14d\"\n[mail]\ntransport = \"file\"\n[[federal_register]]\nname = \"BIS rules\"\nreport = \"all\"\napi = \"{}\"\n",
            server.url("/api/v1")
        ),
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(s["entries_new"], 2, "{s}");
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let (text, _) = chipwatch::digest::mime::split_parts(msgs[0].as_bytes());
    assert!(text.contains("FR Doc. 2026-24001"), "{text}");
    assert!(
        !text.contains("2016-04324"),
        "older than the backfill window: stored, not reported\n{text}"
    );
}

#[test]
fn federal_register_api_answering_html_is_an_error_on_the_source() {
    let server = FeedServer::start();
    server.set_feed(
        "/api/v1/documents.json",
        data("federal-register/404-2026.html"),
        "text/html",
    );
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[[federal_register]]\nname = \"BIS\"\napi = \"{}\"\n",
            server.url("/api/v1")
        ),
    );
    env.once("c.toml", &[]);
    let rows = env.feed_status("c.toml");
    let err = rows[0]["last_error"].as_str().unwrap_or("");
    assert!(err.contains("HTML page"), "{rows:?}");
}

fn csv_rows(body: &[u8]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut rd = csv::Reader::from_reader(body);
    let h = rd.headers().unwrap().clone();
    (h.clone(), rd.records().map(|r| r.unwrap()).collect())
}

#[test]
fn screening_list_changes_are_reported_exactly_by_list_and_country() {
    let original = data("screening-list/csl-2019-12.csv");
    let (header, mut rows) = csv_rows(&original);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (src, name, addr, alt, fr) = (
        col("source"),
        col("name"),
        col("addresses"),
        col("alt_names"),
        col("federal_register_notice"),
    );
    let server = FeedServer::start();
    server.set_feed("/csl.csv", original.clone(), "text/csv");
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[mail]\ntransport = \"file\"\n[[screening_list]]\nname = \"CSL\"\nurl = \"{}\"\nlists = [\"Entity List\", \"Unverified List\"]\n\
             [[rule]]\nname = \"watch\"\nquery = 'Huawei'\n",
            server.url("/csl.csv")
        ),
    );
    // The first poll records the baseline and reports nothing.
    env.once("c.toml", &["--digest-now"]);
    assert!(env.emls("chipwatch-state/outbox").is_empty());

    // The next download: two additions (China, Russia), one removal, one amended alias list,
    // an SDN change (a list not followed), rows in another order, every cell quoted.
    let set = |r: &csv::StringRecord, f: &dyn Fn(usize, &str) -> String| -> csv::StringRecord {
        r.iter().enumerate().map(|(i, v)| f(i, v)).collect()
    };
    let el = rows
        .iter()
        .position(|r| &r[name] == "A.C. International")
        .unwrap();
    let removed = rows.remove(el);
    assert!(removed[src].starts_with("Entity List"));
    let template = rows
        .iter()
        .find(|r| r[src].starts_with("Entity List"))
        .unwrap()
        .clone();
    for (n, a) in [
        (
            "Shanghai Lumen Optics Co., Ltd.",
            "88 Zhangjiang Rd., Shanghai, CN",
        ),
        ("Zelenograd Nano LLC", "1 Proezd, Moscow, RU"),
    ] {
        rows.push(set(&template, &|i, v| match i {
            i if i == name => n.to_string(),
            i if i == addr => a.to_string(),
            i if i == alt => String::new(),
            i if i == fr => "91 FR 50200".to_string(),
            _ => v.to_string(),
        }));
    }
    let uvl = rows
        .iter()
        .position(|r| &r[name] == "ZDAS (HK) Company")
        .unwrap();
    rows[uvl] = set(&rows[uvl], &|i, v| {
        if i == alt {
            "ZDAS Hong Kong Ltd.".into()
        } else {
            v.into()
        }
    });
    let sdn = rows
        .iter()
        .position(|r| r[src].starts_with("Specially Designated"))
        .unwrap();
    rows[sdn] = set(&rows[sdn], &|i, v| {
        if i == alt {
            "Someone Else".into()
        } else {
            v.into()
        }
    });
    // Order changes and re-quoting are not changes; neither is a reordered multi-valued cell.
    rows.reverse();
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    server.set_feed("/csl.csv", w.into_inner().unwrap(), "text/csv");
    env.once("c.toml", &["--digest-now"]);
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let text = crate::util::decoded(&msgs[0]);
    let (plain, _) = chipwatch::digest::mime::split_parts(msgs[0].as_bytes());
    assert!(plain.contains("== Screening list changes =="), "{plain}");
    assert!(
        plain.contains("Entity List (EL): +2 (China 1, Russia 1), −1 (China 1)"),
        "{plain}"
    );
    assert!(
        plain.contains("Unverified List (UVL): ~1 changed (Hong Kong 1)"),
        "{plain}"
    );
    assert!(
        plain.contains("  + Shanghai Lumen Optics Co., Ltd. (China) — 91 FR 50200"),
        "{plain}"
    );
    assert!(
        plain.contains("  + Zelenograd Nano LLC (Russia) — 91 FR 50200"),
        "{plain}"
    );
    assert!(
        plain.contains("  − A.C. International (China) — 73 FR 54504"),
        "{plain}"
    );
    assert!(
        plain.contains("  ~ ZDAS (HK) Company (Hong Kong) — changed: aliases"),
        "{plain}"
    );
    let listed = plain
        .lines()
        .filter(|l| l.starts_with("  + ") || l.starts_with("  − ") || l.starts_with("  ~ "))
        .count();
    assert_eq!(listed, 4, "exactly the changes made:\n{plain}");
    assert!(!text.contains("Someone Else"), "a list not followed");
    assert!(
        text.contains("https://www.federalregister.gov/citation/91-FR-50200"),
        "records link their citation"
    );
    // A third poll of the same file reports nothing.
    env.once("c.toml", &["--digest-now"]);
    assert_eq!(env.emls("chipwatch-state/outbox").len(), 1);
}

fn spec(kind: chipwatch::model::SourceKind) -> chipwatch::model::FeedSpec {
    chipwatch::model::FeedSpec {
        source: chipwatch::model::FeedSource::Url(
            "https://www.federalregister.gov/api/v1".parse().unwrap(),
        ),
        name: "FR".into(),
        tags: vec![],
        interval: None,
        default_offset: None,
        headers: vec![],
        user_written: true,
        kind,
    }
}

#[test]
fn real_federal_register_responses_read_as_documents() {
    use chipwatch::model::EntryMeta;
    use chipwatch::model::regulatory::{FrQuery, SourceKind};
    use chipwatch::source::federal_register::read;
    let docs = FrQuery::default();
    let s = spec(SourceKind::FederalRegister(docs.clone()));
    // Default fields of 2026: 20 documents, types as codes, the presidential one labelled.
    let f = read(
        &s,
        &docs,
        &data("federal-register/documents-newest-2026-10-02.json"),
    )
    .unwrap();
    assert_eq!(f.entries.len(), 20);
    let EntryMeta::FederalRegister(d) = f.entries[0].meta.as_ref().unwrap() else {
        panic!()
    };
    assert_eq!(
        (
            d.document_number.as_str(),
            d.doc_type.as_str(),
            d.type_label()
        ),
        ("2026-20322", "PRESDOCU", "Presidential document")
    );
    assert_eq!(d.publication_date.as_deref(), Some("2026-10-02"));
    // 2016, chosen fields: citations, the BIS documents among 129.
    let f = read(
        &s,
        &docs,
        &data("federal-register/documents-2016-02-29.json"),
    )
    .unwrap();
    assert_eq!(f.entries.len(), 129);
    let bis: Vec<_> = f
        .entries
        .iter()
        .filter(|e| e.content.contains("Industry and Security Bureau"))
        .collect();
    assert_eq!(
        bis.len(),
        4,
        "{:?}",
        bis.iter().map(|e| &e.title).collect::<Vec<_>>()
    );
    assert!(
        f.entries.iter().all(
            |e| matches!(&e.meta, Some(EntryMeta::FederalRegister(d)) if d.citation.is_some())
        )
    );
    // The desk: every agency's filings, filtered here; titles trimmed; withdrawn ones kept.
    let all = FrQuery {
        public_inspection: true,
        ..Default::default()
    };
    let f = read(
        &s,
        &all,
        &data("federal-register/pi-current-2026-10-02.json"),
    )
    .unwrap();
    assert_eq!(f.entries.len(), 107);
    assert!(f.entries.iter().all(|e| e.title == e.title.trim()));
    let withdrawn = f.entries.iter().find(|e| e.key == "2026-20295").unwrap();
    assert!(
        withdrawn.summary.contains("a date not yet set")
            && withdrawn.summary.contains("withdrawal"),
        "{}",
        withdrawn.summary
    );
    let sec_rules = FrQuery {
        public_inspection: true,
        agencies: vec!["securities-and-exchange-commission".into()],
        types: vec!["PRORULE".into()],
        ..Default::default()
    };
    let f = read(
        &s,
        &sec_rules,
        &data("federal-register/pi-current-2026-10-02.json"),
    )
    .unwrap();
    assert!(!f.entries.is_empty() && f.entries.len() < 18);
    // The 2026 404 page is an error, not an empty result.
    assert!(read(&s, &docs, &data("federal-register/404-2026.html")).is_err());
}

#[test]
fn real_screening_list_snapshots_parse_with_their_quirks() {
    use chipwatch::source::screening::parse;
    use chipwatch::source::screening_diff::diff;
    let old = parse(&data("screening-list/csl-2019-12.csv")).unwrap();
    assert_eq!(
        old.records.len(),
        115,
        "28-column layout, every record kept (five same-name EL records apart)"
    );
    let new = parse(&data("screening-list/csl-2025.csv")).unwrap();
    assert_eq!(new.records.len(), 13);
    assert!(diff(&new, &new, &[]).is_empty());
    // The 4,228-record snapshot repeats its header row and has a short row: both skipped.
    let Some(big) = crate::util::shared(
        "corpus/regulatory/screening-list/csl-consolidated__4228-records__2023-11__moov-watchman.csv",
    ) else {
        return;
    };
    let raw = std::fs::read(big).unwrap();
    let big = parse(&raw).unwrap();
    // Rows in reverse order, every cell quoted: the same snapshot, no change.
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(raw.as_slice());
    let header = rd.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = rd.records().filter_map(Result::ok).collect();
    rows.reverse();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let reversed = parse(&w.into_inner().unwrap()).unwrap();
    assert!(diff(&big, &reversed, &[]).is_empty());
    assert_eq!(big, reversed);
    assert!(
        big.records.len() >= 4_200 && big.records.len() <= 4_228,
        "{}",
        big.records.len()
    );
    assert!(!big.records.values().any(|r| r.name == "name"));
    let el = big
        .records
        .values()
        .filter(|r| r.list == "Entity List (EL)")
        .count();
    assert!(el >= 900, "{el}");
}

#[test]
fn shipped_config_lists_its_primary_sources_and_its_rules_fit_their_entries() {
    use chipwatch::config::{Config, ConfigSource};
    use chipwatch::model::SourceKind;
    // As a new user: a copy of config/, `feeds status` before the first poll.
    let env = Env::new();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    for f in [
        "chipwatch.toml",
        "feeds.opml",
        "rules/semiconductor-export.toml",
    ] {
        env.write(
            &format!("config/{f}"),
            &std::fs::read_to_string(shipped.join(f)).unwrap(),
        );
    }
    let rows = env.feed_status("config/chipwatch.toml");
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["kind"] != "feed")
        .map(|r| (r["name"].as_str().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("BIS rules", "federal_register"),
            ("BIS rules", "federal_register (public inspection)"),
            ("BIS notices", "federal_register"),
            ("Consolidated Screening List", "screening_list"),
        ]
    );
    let text = String::from_utf8_lossy(
        &env.run("config/chipwatch.toml", &["feeds", "status"])
            .stdout,
    )
    .into_owned();
    assert!(
        text.contains("[Consolidated Screening List] screening_list"),
        "{text}"
    );

    // The pack's primary-source rules match what those sources produce, and only there.
    let config = Config::load(&ConfigSource::File(
        env.path().join("config/chipwatch.toml"),
    ))
    .unwrap();
    assert!(
        config.rule_warnings.is_empty(),
        "{:?}",
        config.rule_warnings
    );
    let csl = config
        .feeds
        .iter()
        .find(|f| matches!(f.kind, SourceKind::ScreeningList(_)))
        .unwrap();
    let rules_fr = config.feeds.iter().find(|f| f.name == "BIS rules").unwrap();
    let old = chipwatch::source::screening::parse(&data("screening-list/csl-2025.csv")).unwrap();
    let mut new = old.clone();
    let mut added = new
        .records
        .values()
        .find(|r| r.list == "Entity List (EL)")
        .unwrap()
        .clone();
    added.name = "Hefei Qixin Semiconductor Co., Ltd.".into();
    added.countries = vec!["CN".into()];
    new.records.insert("EL|hefei".into(), added);
    let changes = chipwatch::source::screening_diff::diff(&old, &new, &[]);
    assert_eq!(changes.len(), 1);
    let entry = chipwatch::source::screening_diff::entry(changes[0].clone());
    let rules_of = |e: &chipwatch::model::Entry, spec| -> Vec<String> {
        chipwatch::poller::ingest::match_entry(&config.rules, e, spec)
            .into_iter()
            .map(|m| m.rule)
            .collect()
    };
    assert!(
        rules_of(&entry, csl).contains(&"entity-list-change-china-chips".to_string()),
        "{}",
        entry.title
    );
    let s = spec(SourceKind::FederalRegister(Default::default()));
    let doc = published(
        "2026-24001",
        "Rule",
        "Revisions to the Export Administration Regulations: Advanced Computing and Semiconductor Manufacturing Items",
        "91 FR 50001",
        None,
        None,
    );
    let f = chipwatch::source::federal_register::read(
        &s,
        &Default::default(),
        search(vec![doc]).as_bytes(),
    )
    .unwrap();
    let got = rules_of(&f.entries[0], rules_fr);
    assert!(got.contains(&"ear-chip-rule".to_string()), "{got:?}");
    // A news feed's item with the same words is not held to the primary-source rules.
    let news_feed = config
        .feeds
        .iter()
        .find(|f| f.kind == SourceKind::Feed)
        .unwrap();
    assert!(!rules_of(&f.entries[0], news_feed).contains(&"ear-chip-rule".to_string()));
}

#[test]
fn mistakes_in_the_primary_source_tables_name_file_line_and_key() {
    let env = Env::new();
    for (toml, want) in [
        (
            "[[federal_register]]\nname = \"x\"\ntypes = [\"RULES\"]\n",
            "c.toml:3:10: [[federal_register]] types: \"RULES\" is not a document type",
        ),
        (
            "[[federal_register]]\nreport = \"some\"\n",
            "c.toml:2:10: report = \"some\" — use one of \"all\", \"matching\"",
        ),
        (
            "[[federal_register]]\napi = \"ftp://x/\"\n",
            "[[federal_register]] api: must be an http or https address",
        ),
        (
            "[[screening_list]]\nurl = \"ftp://x/y.csv\"\n",
            "[[screening_list]] url \"ftp://x/y.csv\": scheme must be http, https or file",
        ),
        (
            "[[screening_list]]\nurl = \"x.csv\"\nlist = [\"Entity List\"]\n",
            "c.toml:3:1: unknown key `list` in [[screening_list]] #1 — did you mean `lists`?",
        ),
    ] {
        env.write("c.toml", toml);
        let out = env.run("c.toml", &["check-config"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(want),
            "{toml:?}: {err}"
        );
    }
}

//! Every file of ../shared/corpus/feeds and ../shared/corpus/robustness goes through the parser
//! without a panic, and the well-formed real feeds yield entries.

use crate::util::shared;
use chipwatch::parse::{ParseOptions, parse_feed};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !matches!(p.extension().and_then(|x| x.to_str()), Some("md" | "tsv")) {
                out.push(p);
            }
        }
    }
}

#[test]
fn shared_corpus_files_parse_without_panic() {
    let (Some(feeds), Some(rob)) = (shared("corpus/feeds"), shared("corpus/robustness")) else {
        return;
    };
    let mut files = Vec::new();
    walk(&feeds, &mut files);
    let real = files.len();
    walk(&rob, &mut files);
    assert!(
        files.len() > 800,
        "expected the whole corpus, found {}",
        files.len()
    );
    let (mut ok, mut entries) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).expect("read");
        let base = format!(
            "https://corpus.example/{}",
            f.file_name().and_then(|n| n.to_str()).unwrap_or("x")
        );
        for ct in [
            None,
            Some("application/xml; charset=utf-8"),
            Some("text/xml; charset=windows-1252"),
        ] {
            let r = parse_feed(
                &bytes,
                &ParseOptions {
                    content_type: ct,
                    base_url: Some(&base),
                    default_offset: None,
                },
            );
            if i < real
                && ct.is_none()
                && let Ok(feed) = r
            {
                ok += 1;
                entries += feed.entries.len();
            }
        }
    }
    // Most real feeds are well-formed; some fixtures are HTML pages or deliberately broken.
    assert!(
        ok * 10 >= real * 8,
        "only {ok} of {real} real feed files parsed"
    );
    assert!(entries > 3000, "only {entries} entries from the real feeds");
}

#[test]
fn shared_corpus_non_utf8_feeds_have_correct_titles() {
    let Some(root) = shared("corpus/feeds") else {
        return;
    };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("manifest");
    let header: Vec<&str> = manifest.lines().next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(path_col), Some(enc_col)) = (
        col("file").or(col("path")),
        col("declared_encoding").or(col("encoding")),
    ) else {
        panic!("MANIFEST.tsv columns changed: {header:?}");
    };
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        let (Some(p), Some(enc)) = (cells.get(path_col), cells.get(enc_col)) else {
            continue;
        };
        let enc = enc.to_ascii_lowercase();
        if enc.is_empty() || enc.contains("utf") || enc == "-" || enc == "none" {
            continue;
        }
        let file = root.join(p.trim_start_matches("feeds/"));
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if let Ok(feed) = parse_feed(&bytes, &ParseOptions::default()) {
            for e in &feed.entries {
                assert!(
                    !e.title.contains('\u{FFFD}'),
                    "{}: replacement char in {:?}",
                    file.display(),
                    e.title
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} non-UTF-8 feeds checked");
}

/// Every corpus file served over loopback HTTP, with no charset and with the declared one in
/// Content-Type, goes through fetch + parse without a panic; non-UTF-8 feeds keep their titles.
#[test]
fn shared_corpus_over_http_with_and_without_charset() {
    use crate::common::http::FeedServer;
    use chipwatch::fetch::{FetchOutcome, FetchRequest, Fetcher};
    let (Some(feeds), Some(rob)) = (shared("corpus/feeds"), shared("corpus/robustness")) else {
        return;
    };
    let manifest = std::fs::read_to_string(feeds.join("MANIFEST.tsv")).expect("manifest");
    let declared: std::collections::HashMap<String, String> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some((c.first()?.to_string(), c.get(6)?.to_string()))
        })
        .collect();
    let mut files = Vec::new();
    walk(&feeds, &mut files);
    walk(&rob, &mut files);
    let server = FeedServer::start();
    let mut paths = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).unwrap();
        let rel = f
            .strip_prefix(&feeds)
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        let enc = declared.get(&rel).cloned().unwrap_or_default();
        server.set_feed(&format!("/plain/{i}"), bytes.clone(), "application/xml");
        let ct = if enc.is_empty() || enc == "-" {
            "application/xml".to_string()
        } else {
            format!("application/xml; charset={enc}")
        };
        server.set_feed(&format!("/charset/{i}"), bytes, &ct);
        paths.push((i, enc));
    }
    let cfg = chipwatch::config::load_from_str(
        "",
        None,
        chipwatch::config::ConfigSource::Embedded,
        std::path::PathBuf::from("."),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut parsed, mut replacement_titles) = (0, Vec::new());
    rt.block_on(async {
        let fetcher = Fetcher::new(&cfg.http).unwrap();
        for (i, enc) in &paths {
            for kind in ["plain", "charset"] {
                let url = server.url(&format!("/{kind}/{i}"));
                let FetchOutcome::Modified(f) = fetcher
                    .fetch(
                        &FetchRequest {
                            url: url.clone(),
                            ..Default::default()
                        },
                        chrono::Utc::now(),
                    )
                    .await
                else {
                    panic!("{url}: not fetched");
                };
                let opts = ParseOptions {
                    content_type: f.content_type.as_deref(),
                    base_url: Some(&f.final_url),
                    default_offset: None,
                };
                if let Ok(feed) = parse_feed(&f.body, &opts) {
                    parsed += 1;
                    let legacy =
                        !enc.is_empty() && !enc.to_ascii_lowercase().contains("utf") && enc != "-";
                    if legacy && feed.entries.iter().any(|e| e.title.contains('\u{FFFD}')) {
                        replacement_titles.push(format!("{url} ({enc})"));
                    }
                }
            }
        }
    });
    assert!(parsed > 1000, "only {parsed} documents parsed");
    assert!(
        replacement_titles.is_empty(),
        "legacy-encoded feeds lost characters: {replacement_titles:?}"
    );
}

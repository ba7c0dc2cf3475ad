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
fn every_corpus_file_parses_without_panic() {
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
fn non_utf8_corpus_feeds_have_correct_titles() {
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

//! Property tests over hostile documents: no byte string, mutated real-looking feed, HTML
//! fragment or page makes parsing, text extraction or feed discovery panic, and extraction stays
//! linear. Case counts are modest here; `PROPTEST_CASES=200000 cargo test fuzz_parse` runs the
//! long session reported in the issue notes.

use chipwatch::parse::{
    ParseOptions, discover::discover_feed_links, parse_feed, text::html_to_text,
};
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link><item><guid>1</guid><title>US export &amp; controls</title><link>/rel</link><description><![CDATA[<p>H20 <b>chips</b></p>]]></description><pubDate>Tue, 25 Nov 2025 08:00:00 +0800</pubDate></item></channel></rss>"#,
    r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;b&gt;x&lt;/b&gt;</title><entry><id>tag:a,2025:1</id><title>实体清单</title><link rel="alternate" href="https://a.example/1"/><updated>2025-11-25T08:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry></feed>"#,
    r#"<?xml version="1.0" encoding="GB2312"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel><item rdf:about="https://a.example/2"><title>t2</title><link>https://a.example/2</link></item></rdf:RDF>"#,
    r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","title":"x","content_html":"<p>y</p>","date_published":"2025-11-25T08:00:00Z"}]}"#,
];

fn opts() -> ParseOptions<'static> {
    ParseOptions {
        content_type: Some("application/rss+xml; charset=utf-8"),
        base_url: Some("https://a.example/feed"),
        default_offset: Some(28_800),
    }
}

/// A seed with random splices: bytes inserted, removed or replaced at random places.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        0..SEEDS.len(),
        proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                0u8..4,
                proptest::collection::vec(any::<u8>(), 0..12),
            ),
            1..8,
        ),
    )
        .prop_map(|(i, edits)| {
            let mut b = SEEDS[i].as_bytes().to_vec();
            for (at, kind, bytes) in edits {
                let pos = at.index(b.len() + 1);
                match kind {
                    0 => {
                        b.splice(pos..pos, bytes);
                    }
                    1 => {
                        let end = (pos + bytes.len()).min(b.len());
                        b.drain(pos..end);
                    }
                    2 => {
                        let tags: &[&[u8]] = &[
                            b"<item>",
                            b"</item>",
                            b"<entry>",
                            b"&#x0;",
                            b"&",
                            b"<![CDATA[",
                            b"]]>",
                            b"<!--",
                            b"\xff\xfe",
                            b"<script>",
                        ];
                        let t = tags[bytes.len() % tags.len()];
                        b.splice(pos..pos, t.iter().copied());
                    }
                    _ => b.truncate(pos),
                }
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_feed(&b, &opts());
    }

    #[test]
    fn mutated_feeds_never_panic(b in mutated()) {
        if let Ok(f) = parse_feed(&b, &opts()) {
            for e in &f.entries {
                prop_assert!(!e.key.is_empty());
                prop_assert!(!e.title.contains('<') || e.title.contains("< "), "markup left in {:?}", e.title);
            }
        }
    }

    #[test]
    fn html_to_text_never_panics(s in "(<[a-zA-Z/!?]{0,8}|>|&[#a-z0-9]{0,8};?|\\PC{0,6}|<script>|</SCRIPT|<!--|-->)*") {
        let t = html_to_text(&s);
        prop_assert!(t.len() <= s.len() * 4 + 8);
    }

    #[test]
    fn discovery_never_panics(s in "(<link |rel=\"?alternate\"?|type=\"application/(rss|atom)\\+xml\"|href=\"?[a-z:/.]{0,12}\"?|>|<base href=\"?[a-z:/]{0,10}\"?>|\\PC{0,5})*") {
        let base = url::Url::parse("https://a.example/dir/page.html").ok();
        for link in discover_feed_links(&s, base.as_ref()) {
            prop_assert!(url::Url::parse(&link).is_ok(), "{link}");
        }
    }
}

#[test]
fn extraction_is_linear_on_hostile_shapes() {
    // Shapes that were or could be quadratic; each 2 MB must finish in well under a second
    // (quadratic would take minutes). Generous bound: this guards a regression, it is no benchmark.
    for unit in [
        "<script>x</script>",
        "<style>",
        "<!--x-->",
        "<a ",
        "&amp",
        "<x>&#1;",
        "<script>x</scrip",
    ] {
        let s = unit.repeat(2_000_000 / unit.len());
        let t = std::time::Instant::now();
        let _ = html_to_text(&s);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{unit}: {:?}",
            t.elapsed()
        );
    }
}

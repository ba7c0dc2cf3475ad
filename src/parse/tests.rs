//! Parser tests: formats, identity keys, shared links, encodings and repairs.

use super::*;

fn opts(base: &str) -> ParseOptions<'_> {
    ParseOptions {
        content_type: None,
        base_url: Some(base),
        default_offset: None,
    }
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>T</title><link>https://n.example/</link>{items}</channel></rss>"
    )
}

#[test]
fn keys_prefer_guid_then_canonical_link_then_hash() {
    let doc = rss(
        "<item><title>A</title><guid isPermaLink=\"false\">g-1</guid><link>https://n.example/a?utm_source=x</link></item>
         <item><title>B</title><link>https://N.example/b#top</link></item>
         <item><title>C</title><description>no link</description></item>",
    );
    let f = parse_feed(doc.as_bytes(), &opts("https://n.example/feed")).unwrap();
    assert_eq!(f.format, "RSS 2.0");
    let keys: Vec<&str> = f.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys[0], "g-1");
    assert_eq!(keys[1], "https://n.example/b");
    assert!(keys[2].starts_with("h:"), "{keys:?}");
    assert_eq!(
        f.entries[0].canonical_link.as_deref(),
        Some("https://n.example/a")
    );
    // Parsing again gives the same keys (no invented random ids).
    let again = parse_feed(doc.as_bytes(), &opts("https://n.example/feed")).unwrap();
    assert_eq!(again.entries[2].key, f.entries[2].key);
}

#[test]
fn a_link_shared_by_distinct_items_is_not_an_identity() {
    let doc = rss(
        "<item><title>First news</title><link>https://n.example/</link></item>
         <item><title>Second news</title><link>https://n.example/</link></item>",
    );
    let f = parse_feed(doc.as_bytes(), &opts("https://n.example/feed")).unwrap();
    assert_eq!(f.entries.len(), 2);
    assert!(f.entries.iter().all(|e| e.link_shared));
    assert_ne!(f.entries[0].key, f.entries[1].key);
    assert_ne!(f.entries[0].story_key(1), f.entries[1].story_key(1));
}

#[test]
fn html_is_reduced_to_text_and_entities_decoded() {
    let doc = rss(
        "<item><title>US &amp;amp; allies: export&amp;nbsp;controls</title><description>&lt;p&gt;The &lt;b&gt;BIS&lt;/b&gt; rule&lt;/p&gt;</description><guid>x</guid></item>",
    );
    let f = parse_feed(doc.as_bytes(), &opts("https://n.example/feed")).unwrap();
    assert_eq!(f.entries[0].title, "US & allies: export controls");
    assert_eq!(f.entries[0].summary, "The BIS rule");
}

#[test]
fn atom_and_json_feed() {
    let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-24T08:00:00Z</updated>
      <entry><id>urn:e1</id><title type="html">&lt;i&gt;Dutch&lt;/i&gt; curbs</title><link href="/e1"/><updated>2026-11-24T08:00:00Z</updated><content type="html">&lt;p&gt;ASML&lt;/p&gt;</content></entry></feed>"#;
    let f = parse_feed(atom.as_bytes(), &opts("https://a.example/feed.atom")).unwrap();
    assert_eq!(f.format, "Atom");
    assert_eq!(f.entries[0].title, "Dutch curbs");
    assert_eq!(
        f.entries[0].canonical_link.as_deref(),
        Some("https://a.example/e1")
    );
    assert_eq!(f.entries[0].content, "ASML");
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"镓出口管制","content_text":"商务部公告","url":"https://j.example/1"}]}"#;
    let f = parse_feed(json.as_bytes(), &opts("https://j.example/feed.json")).unwrap();
    assert_eq!(f.format, "JSON Feed");
    assert_eq!(f.entries[0].title, "镓出口管制");
}

#[test]
fn gbk_from_prolog_and_from_http_header() {
    let text = "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss version=\"2.0\"><channel><title>商务部</title><item><title>美国更新半导体出口管制规则</title><guid>1</guid></item></channel></rss>";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let f = parse_feed(&gbk, &opts("https://m.example/rss")).unwrap();
    assert_eq!(f.encoding, "GBK");
    assert_eq!(f.entries[0].title, "美国更新半导体出口管制规则");
    let no_decl = text.replace(" encoding=\"gb2312\"", "");
    let (gbk, _, _) = encoding_rs::GBK.encode(&no_decl);
    let o = ParseOptions {
        content_type: Some("application/rss+xml; charset=GBK"),
        ..opts("https://m.example/rss")
    };
    let f = parse_feed(&gbk, &o).unwrap();
    assert_eq!(f.entries[0].title, "美国更新半导体出口管制规则");
}

#[test]
fn repairs_version_bare_ampersand_and_truncation() {
    let doc = "<rss version=\"2.00\"><channel><title>x</title><item><title>AT&T & chips</title><guid>1</guid></item><item><title>cut";
    let f = parse_feed(doc.as_bytes(), &opts("https://r.example/")).unwrap();
    assert_eq!(f.entries.len(), 1);
    assert_eq!(f.entries[0].title, "AT&T & chips");
    assert!(!f.repairs.is_empty());
}

#[test]
fn errors_are_named() {
    assert_eq!(
        parse_feed(b"  \n", &opts("https://e.example/")).unwrap_err(),
        ParseError::Empty
    );
    assert_eq!(
        parse_feed(
            b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>",
            &opts("https://e.example/")
        )
        .unwrap_err(),
        ParseError::Html
    );
    assert!(matches!(
        parse_feed(b"this is not xml", &opts("https://e.example/")),
        Err(ParseError::Invalid(_))
    ));
}

#[test]
fn dates_without_zone_use_the_feed_offset() {
    let doc =
        rss("<item><title>t</title><guid>1</guid><pubDate>2026-11-24 08:00:00</pubDate></item>");
    let o = ParseOptions {
        default_offset: Some(8 * 3600),
        ..opts("https://d.example/")
    };
    let f = parse_feed(doc.as_bytes(), &o).unwrap();
    assert_eq!(
        f.entries[0].published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-24T00:00:00+00:00")
    );
}

#[test]
fn items_that_are_not_read_are_a_problem_not_an_empty_feed() {
    // RDF in a namespace no parser knows: the items are there, none is read.
    let doc = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://example.org/unknown/"><channel><title>x</title></channel><item><title>a</title><link>https://u.example/a</link></item><item><title>b</title></item></rdf:RDF>"#;
    let f = parse_feed(doc.as_bytes(), &opts("https://u.example/rss")).unwrap();
    assert_eq!(f.entries.len(), 0);
    assert_eq!(f.item_elements, 2);
    assert!(
        f.problem.as_deref().unwrap_or("").starts_with("unparsed"),
        "{:?}",
        f.problem
    );
    let ok = rss("<item><title>a</title><guid>1</guid></item>");
    let f = parse_feed(ok.as_bytes(), &opts("https://u.example/rss")).unwrap();
    assert_eq!((f.item_elements, f.problem), (1, None));
}

#[test]
fn old_formats_yield_their_entries() {
    let atom03 = r#"<?xml version="1.0" encoding="utf-8"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old blog</title><tagline>t</tagline><link rel="alternate" type="text/html" href="https://o.example/"/><modified>2004-05-01T10:00:00Z</modified>
      <entry><title mode="escaped" type="text/html">Export &amp;amp; chips</title><link rel="alternate" type="text/html" href="https://o.example/1"/><id>tag:o.example,2004:1</id><issued>2004-05-01T12:00:00+02:00</issued><modified>2004-05-02T10:00:00Z</modified><content type="text/html" mode="escaped">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"#;
    let f = parse_feed(atom03.as_bytes(), &opts("https://o.example/atom.xml")).unwrap();
    assert_eq!(f.entries.len(), 1);
    assert_eq!(f.entries[0].title, "Export & chips");
    assert_eq!(f.entries[0].content, "Body");
    assert_eq!(
        f.entries[0].published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2004-05-01T10:00:00+00:00")
    );
    assert!(f.repairs.iter().any(|r| r.contains("Atom 0.3")));
    let rss090 = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>heise</title><link>https://h.example/</link><description>d</description></channel><item><title>Chip news</title><link>https://h.example/1</link></item><item><title>More</title><link>https://h.example/2</link></item></rdf:RDF>"#;
    let f = parse_feed(rss090.as_bytes(), &opts("https://h.example/rss")).unwrap();
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.problem, None);
    let json = r#"{"version":"http://jsonfeed.org/version/1","title":"J","items":[{"id":"1","title":"a","url":"https://j.example/1"}]}"#;
    let f = parse_feed(json.as_bytes(), &opts("https://j.example/feed.json")).unwrap();
    assert_eq!(f.entries.len(), 1);
}

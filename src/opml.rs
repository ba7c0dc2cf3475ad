//! OPML 2.0: reads the feed list (outlines with `xmlUrl`; folder names and `category`
//! attributes become tags) and writes it back out. Pure; used by `config` and the
//! `feeds import-opml` / `feeds export-opml` commands.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One feed outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub title: String,
    pub xml_url: String,
    pub html_url: Option<String>,
    pub tags: Vec<String>,
}

fn attrs(e: &BytesStart) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.local_name().into_inner().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .to_string();
        out.push((key, value));
    }
    Ok(out)
}

fn get<'a>(a: &'a [(String, String)], k: &str) -> Option<&'a str> {
    a.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(k))
        .map(|(_, v)| v.as_str())
}

/// Parses an OPML document into its feed outlines, in document order.
pub fn parse(text: &str) -> Result<Vec<Outline>, String> {
    let mut reader = Reader::from_str(text);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    let mut saw_opml = false;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == "opml" => {
                saw_opml = true;
                let _ = e;
            }
            Event::Start(e) if e.local_name().into_inner() == "outline" => {
                let a = attrs(&e)?;
                if let Some(o) = outline(&a, &folders) {
                    out.push(o);
                    folders.push(None);
                } else {
                    let name = get(&a, "text").or(get(&a, "title")).map(str::to_string);
                    folders.push(name);
                }
            }
            Event::Empty(e) if e.local_name().into_inner() == "outline" => {
                let a = attrs(&e)?;
                if let Some(o) = outline(&a, &folders) {
                    out.push(o);
                }
            }
            Event::End(e) if e.local_name().into_inner() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err("no <opml> root element".into());
    }
    Ok(out)
}

fn outline(a: &[(String, String)], folders: &[Option<String>]) -> Option<Outline> {
    let xml_url = get(a, "xmlUrl")?.trim().to_string();
    if xml_url.is_empty() {
        return None;
    }
    let mut tags: Vec<String> = folders.iter().flatten().cloned().collect();
    if let Some(c) = get(a, "category") {
        for t in c.split([',', '/']).map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
    }
    Some(Outline {
        title: get(a, "title")
            .or(get(a, "text"))
            .unwrap_or("")
            .trim()
            .to_string(),
        xml_url,
        html_url: get(a, "htmlUrl").map(str::to_string),
        tags,
    })
}

/// The feed address of an outline, as chipwatch may poll it: an OPML file is a third party's
/// list, so only http and https addresses are accepted (never `file:` or others).
pub fn feed_url(o: &Outline) -> Result<url::Url, String> {
    let url = url::Url::parse(&o.xml_url).map_err(|e| {
        format!(
            "feed {:?} has a bad xmlUrl {:?}: {e}",
            o.title,
            crate::redact::url(&o.xml_url)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "feed {:?}: xmlUrl {:?} is not an http or https address (an OPML file may not name local files or other schemes)",
            o.title,
            crate::redact::url(&o.xml_url)
        ));
    }
    Ok(url)
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).to_string()
}

/// Writes an OPML 2.0 document; each feed's first tag becomes its folder.
pub fn write(title: &str, feeds: &[Outline]) -> String {
    let mut s =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    s.push_str(&format!(
        "  <head><title>{}</title></head>\n  <body>\n",
        esc(title)
    ));
    let mut folders: Vec<&str> = Vec::new();
    for f in feeds {
        let folder = f.tags.first().map(String::as_str).unwrap_or("");
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    for folder in folders {
        let indent = if folder.is_empty() { "    " } else { "      " };
        if !folder.is_empty() {
            s.push_str(&format!(
                "    <outline text=\"{}\" title=\"{}\">\n",
                esc(folder),
                esc(folder)
            ));
        }
        for f in feeds
            .iter()
            .filter(|f| f.tags.first().map(String::as_str).unwrap_or("") == folder)
        {
            let extra: Vec<&str> = f.tags.iter().skip(1).map(String::as_str).collect();
            s.push_str(&format!(
                "{indent}<outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{}\"{}{}/>\n",
                esc(&f.xml_url),
                f.html_url
                    .as_ref()
                    .map(|h| format!(" htmlUrl=\"{}\"", esc(h)))
                    .unwrap_or_default(),
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" category=\"{}\"", esc(&extra.join(",")))
                },
                t = esc(&f.title),
            ));
        }
        if !folder.is_empty() {
            s.push_str("    </outline>\n");
        }
    }
    s.push_str("  </body>\n</opml>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_tags_and_round_trip() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
          <outline text="US gov"><outline type="rss" text="BIS" xmlUrl="https://a.example/rss?x=1&amp;y=2" category="/en,policy"/></outline>
          <outline text="Loose" title="Loose feed" xmlUrl="https://b.example/feed"></outline>
        </body></opml>"#;
        let o = parse(doc).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].xml_url, "https://a.example/rss?x=1&y=2");
        assert_eq!(o[0].tags, vec!["US gov", "en", "policy"]);
        assert_eq!(o[1].title, "Loose feed");
        let again = parse(&write("t", &o)).unwrap();
        assert_eq!(again, o);
        assert!(parse("<html/>").is_err());
    }
}

//! Canonical links and stable hashes: the identity half of parsing. A canonical link has a
//! lowercase scheme and host, no fragment, no default port, no tracking parameters, and its
//! remaining query parameters sorted, so syndicated copies of one story compare equal. Pure.

/// Query parameters that only track the reader and never change the document.
fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "gclsrc"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "yclid"
                | "igshid"
                | "_ga"
                | "_gl"
                | "ref_src"
                | "ref_url"
                | "cmpid"
                | "ocid"
                | "smid"
                | "sr_share"
                | "twclid"
                | "wt.mc_id"
                | "at_medium"
                | "at_campaign"
                | "spm"
                | "mkt_tok"
                | "oly_enc_id"
                | "oly_anon_id"
                | "vero_id"
                | "_hsenc"
                | "_hsmi"
                | "hsctatracking"
                | "rss"
                | "rss_source"
                | "feed_source"
        )
}

/// Canonical form of `link`, resolved against `base` when relative. None when unusable.
pub fn canonical_link(link: &str, base: Option<&url::Url>) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let mut u = match url::Url::parse(link) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(link).ok()?,
        Err(_) => return None,
    };
    if !matches!(u.scheme(), "http" | "https") {
        return Some(u.to_string());
    }
    u.set_fragment(None);
    if u.query().is_some() {
        let mut pairs: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.is_empty() {
            u.set_query(None);
        } else {
            pairs.sort();
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    Some(u.to_string())
}

pub use crate::crypto::fnv64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises() {
        let c = |s| canonical_link(s, None);
        assert_eq!(
            c("HTTPS://Example.COM:443/a/b?utm_source=rss&id=3&utm_medium=x#frag").as_deref(),
            Some("https://example.com/a/b?id=3")
        );
        assert_eq!(
            c("http://example.com:80/x?fbclid=1").as_deref(),
            Some("http://example.com/x")
        );
        assert_eq!(
            c("https://e.com/p?b=2&a=1").as_deref(),
            Some("https://e.com/p?a=1&b=2")
        );
        assert_eq!(
            c("https://e.com:8443/p").as_deref(),
            Some("https://e.com:8443/p")
        );
        assert_eq!(c("  ").as_deref(), None);
        assert_eq!(c("/rel").as_deref(), None);
        let base = url::Url::parse("https://news.example/feed.xml").ok();
        assert_eq!(
            canonical_link("/2026/a.html", base.as_ref()).as_deref(),
            Some("https://news.example/2026/a.html")
        );
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(fnv64(&["a", "b"]), fnv64(&["a", "b"]));
        assert_ne!(fnv64(&["ab", ""]), fnv64(&["a", "b"]));
    }
}

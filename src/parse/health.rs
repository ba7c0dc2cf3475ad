//! Whether a parse kept what the document holds: counts the `<item>`/`<entry>` elements in the
//! XML and judges the entries found against them, so a feed that parses to nothing (or to far
//! fewer entries than it lists) is a problem, never a healthy feed with 0 entries. Called by
//! [`super::parse_feed`]; the poller records the verdict. Pure.

/// How much of a document's items the parse kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// At least half of the items (or the document lists none).
    Complete,
    /// Fewer than half of the `listed` items became entries.
    Partial { found: usize, listed: usize },
    /// The document lists items but none became an entry.
    Unparsed { listed: usize },
}

impl Health {
    pub fn judge(found: usize, listed: usize) -> Health {
        if listed == 0 || found * 2 >= listed {
            Health::Complete
        } else if found == 0 {
            Health::Unparsed { listed }
        } else {
            Health::Partial { found, listed }
        }
    }

    /// `unparsed` / `partial` (the `feeds status` state), None when complete.
    pub fn state(&self) -> Option<&'static str> {
        match self {
            Health::Complete => None,
            Health::Partial { .. } => Some("partial"),
            Health::Unparsed { .. } => Some("unparsed"),
        }
    }

    /// One line for logs, `feeds status` and the digest footer.
    pub fn describe(&self) -> Option<String> {
        match self {
            Health::Complete => None,
            Health::Partial { found, listed } => Some(format!(
                "partial: {found} of {listed} items in the document were read"
            )),
            Health::Unparsed { listed } => Some(format!(
                "unparsed: none of {listed} items in the document could be read"
            )),
        }
    }
}

/// `<item>`, `<entry>` (any namespace prefix) start tags in an XML document, outside comments
/// and CDATA sections.
pub fn count_items(doc: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &doc[i..]) {
        let at = i + off;
        let rest = &doc[at + 1..];
        if rest.starts_with(b"!--") || rest.starts_with(b"![CDATA[") {
            let end: &[u8] = if rest.starts_with(b"!--") {
                b"-->"
            } else {
                b"]]>"
            };
            match memchr::memmem::find(rest, end) {
                Some(e) => i = at + 1 + e + end.len(),
                None => break,
            }
            continue;
        }
        let name_len = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-'))
            .count();
        let name = &rest[..name_len];
        let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
        let ends = rest
            .get(name_len)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'>');
        if (local == b"item" || local == b"entry") && ends {
            n += 1;
        }
        i = at + 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_judges() {
        let doc = b"<rss><channel><item>a</item><item x='1'>b</item><items/><rss:item>c</rss:item>
            <!-- <item>no</item> --><description><![CDATA[<item>no</item>]]></description><entry></entry><item/></channel></rss>";
        assert_eq!(count_items(doc), 4);
        assert_eq!(Health::judge(0, 0), Health::Complete);
        assert_eq!(Health::judge(5, 10), Health::Complete);
        assert_eq!(
            Health::judge(4, 10),
            Health::Partial {
                found: 4,
                listed: 10
            }
        );
        assert_eq!(Health::judge(0, 3), Health::Unparsed { listed: 3 });
        assert_eq!(Health::judge(0, 3).state(), Some("unparsed"));
        assert!(
            Health::judge(1, 3)
                .describe()
                .unwrap_or_default()
                .contains("1 of 3")
        );
    }
}

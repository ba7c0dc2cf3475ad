//! Config diagnostics: the [`Report`] every part of the loader pushes its errors and warnings
//! into (so `check-config` shows all of them in one run, each as `file:line:col: what — hint`),
//! and the "did you mean" helpers (edit distance over keys, enum values and IANA zone names).
//! A leaf: used by `files` (Ctx), `schema` and every section resolver, including new tables
//! added under `src/config/`.

use super::ConfigError;
use std::cell::RefCell;

/// Everything one load found wrong (errors) or suspicious (warnings), in the order found.
#[derive(Default)]
pub struct Report {
    errors: RefCell<Vec<ConfigError>>,
    /// (location, message) pairs.
    warnings: RefCell<Vec<(String, String)>>,
}

impl Report {
    /// Records an error (a [`ConfigError::Many`] is flattened).
    pub fn error(&self, e: ConfigError) {
        match e {
            ConfigError::Many(list) => list.into_iter().for_each(|e| self.error(e)),
            e => self.errors.borrow_mut().push(e),
        }
    }
    /// Records a warning: `location: message` (shown as `warning: …`).
    pub fn warning(&self, location: &str, message: impl AsRef<str>) {
        self.warnings
            .borrow_mut()
            .push((location.to_string(), message.as_ref().to_string()));
    }
    /// The value of `r`, or None after recording its error.
    pub fn ok<T>(&self, r: Result<T, ConfigError>) -> Option<T> {
        r.map_err(|e| self.error(e)).ok()
    }
    /// How many errors have been recorded so far.
    pub fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }
    /// The errors as one [`ConfigError`] (None when there are none) and the warnings
    /// (`location: message`), both in file, line and column order.
    pub fn finish(self) -> (Option<ConfigError>, Vec<String>) {
        let mut errors = self.errors.into_inner();
        errors.sort_by_key(order);
        let err = match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(ConfigError::Many(errors)),
        };
        let mut warnings = self.warnings.into_inner();
        warnings.sort_by_key(|(location, _)| position(location));
        let warnings = warnings
            .into_iter()
            .map(|(location, message)| format!("{location}: {message}"))
            .collect();
        (err, warnings)
    }
}

/// Sort key of an error: (file, line, column) when its location has them.
fn order(e: &ConfigError) -> (String, usize, usize) {
    let location = match e {
        ConfigError::Invalid { location, .. } => location.as_str(),
        ConfigError::Read { path, .. } => path.as_str(),
        ConfigError::Rules(list) => {
            return list.first().map_or_else(Default::default, |r| {
                (r.origin.path.clone(), r.origin.line, r.origin.col)
            });
        }
        ConfigError::Many(_) => "",
    };
    position(location)
}

/// (file, line, column) of a `file:line:col` location; (location, 0, 0) without line and column.
fn position(location: &str) -> (String, usize, usize) {
    let mut parts = location.rsplitn(3, ':');
    let (c, l, f) = (parts.next(), parts.next(), parts.next());
    match (
        f,
        l.and_then(|l| l.parse().ok()),
        c.and_then(|c| c.parse().ok()),
    ) {
        (Some(f), Some(l), Some(c)) => (f.to_string(), l, c),
        _ => (location.to_string(), 0, 0),
    }
}

/// Edit distance (optimal string alignment, case-insensitive): `smpt` → `smtp` is 1.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

/// How far a typo may be from the word it meant: 1 for short words, up to 3 for long ones.
fn tolerance(word: &str) -> usize {
    match word.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    }
}

/// The candidate nearest to `word`, if it is close enough to be a typo of it.
pub fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= tolerance(word).min(tolerance(c)) && *d > 0)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean "x"?` for an enum value, else the list of allowed values.
pub fn enum_hint(value: &str, allowed: &[&str]) -> String {
    let list = allowed
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    match nearest(value, allowed.iter().copied()) {
        Some(n) => format!("did you mean {n:?}? (one of {list})"),
        None => format!("use one of {list}"),
    }
}

/// Cities, countries and abbreviations people write that are not IANA zone names of their
/// own. "CST" comes first as China Standard Time: this tool's feeds mostly mean China by it.
const ZONE_ALIASES: &[(&str, &[&str])] = &[
    ("beijing", &["Asia/Shanghai"]),
    ("china", &["Asia/Shanghai"]),
    ("china standard time", &["Asia/Shanghai"]),
    ("cst", &["Asia/Shanghai", "America/Chicago"]),
    ("cdt", &["America/Chicago"]),
    ("edt", &["America/New_York"]),
    ("pst", &["America/Los_Angeles"]),
    ("pdt", &["America/Los_Angeles"]),
    ("jst", &["Asia/Tokyo"]),
    ("kst", &["Asia/Seoul"]),
    ("hkt", &["Asia/Hong_Kong"]),
    ("bst", &["Europe/London"]),
    ("cest", &["Europe/Berlin"]),
    ("washington", &["America/New_York"]),
    ("san francisco", &["America/Los_Angeles"]),
    ("taipei", &["Asia/Taipei"]),
    ("seoul", &["Asia/Seoul"]),
    ("delhi", &["Asia/Kolkata"]),
    ("new delhi", &["Asia/Kolkata"]),
    ("mumbai", &["Asia/Kolkata"]),
];

/// Up to three IANA zone names nearest to a mistyped `zone` ("Asia/Shangai", "Shanghai",
/// "new york", "Asia/Beijing", "CST").
pub fn nearest_zones(zone: &str) -> Vec<&'static str> {
    let z = zone.trim().to_lowercase().replace(' ', "_");
    let city = z.rsplit('/').next().unwrap_or(&z).to_string();
    if let Some((_, to)) = ZONE_ALIASES
        .iter()
        .find(|(a, _)| a.replace(' ', "_") == city)
    {
        return to.to_vec();
    }
    let mut scored: Vec<(usize, &'static str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|t| {
            let name = t.name();
            let n = name.to_lowercase();
            let own = n.rsplit('/').next().unwrap_or(&n);
            // The whole name, or the city part alone when the user wrote only a city.
            let d = distance(&z, &n).min(if z.contains('/') {
                usize::MAX
            } else {
                distance(&z, own)
            });
            (d, name)
        })
        .filter(|(d, _)| *d <= tolerance(&z).max(1))
        .collect();
    scored.sort();
    let best = scored.first().map(|(d, _)| *d).unwrap_or(0);
    scored
        .into_iter()
        .filter(|(d, _)| *d == best)
        .take(3)
        .map(|(_, n)| n)
        .collect()
}

/// The hint for an unknown time zone: the nearest names, or where to find them.
pub fn zone_hint(zone: &str) -> String {
    let near = nearest_zones(zone);
    if near.is_empty() {
        "use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"Asia/Shanghai\" (list: `timedatectl list-timezones`)".into()
    } else {
        let list = near
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(" or ");
        format!("did you mean {list}?")
    }
}

/// What to do about a TOML syntax error, from the parser's message ("invalid basic string,
/// expected `"`" → close the string with "). Shown after "TOML syntax error: ".
pub fn syntax_hint(message: &str) -> &'static str {
    const HINTS: &[(&str, &str)] = &[
        (
            "invalid basic string",
            "close the string with \" on the same line (text over several lines goes in \"\"\"…\"\"\")",
        ),
        (
            "invalid literal string",
            "close the string with ' on the same line",
        ),
        (
            "invalid multi-line basic string",
            "close the string with \"\"\"",
        ),
        (
            "invalid multi-line literal string",
            "close the string with '''",
        ),
        (
            "unclosed array table",
            "close the header with ]], as in [[feed]]",
        ),
        ("unclosed table", "close the header with ], as in [smtp]"),
        (
            "unclosed array",
            "close the list with ], as in to = [\"a@example.org\"]",
        ),
        (
            "unclosed inline table",
            "close the inline table with } on the same line",
        ),
        ("missing comma", "put a comma between the values"),
        ("extra comma", "remove the comma before the closing bracket"),
        (
            "duplicate key",
            "a key may appear once per table: remove one of the two (a repeated section is written [[name]])",
        ),
        (
            "string values must be quoted",
            "put text in quotes, as in name = \"BIS\"",
        ),
        (
            "invalid value",
            "put text in quotes, as in name = \"BIS\"; numbers and true/false go without",
        ),
        (
            "missing value",
            "write a value after =, as in name = \"BIS\"",
        ),
        (
            "key with no value",
            "write key = value, as in name = \"BIS\"",
        ),
        (
            "invalid unquoted key",
            "a key is letters, digits, - and _: put any other key in quotes",
        ),
        ("missing assignment", "write one key = value per line"),
        (
            "unexpected content",
            "write one key = value per line; comments start with #",
        ),
        (
            "unexpected key or value",
            "write one key = value per line; comments start with #",
        ),
    ];
    HINTS
        .iter()
        .find(|(start, _)| message.starts_with(start))
        .map_or(
            "each line is key = value, [table], [[table]] or a # comment (https://toml.io)",
            |(_, hint)| hint,
        )
}

/// A hint for a feed or proxy URL that does not parse: the usual missing `https://`.
pub fn url_hint(url: &str) -> Option<String> {
    let t = url.trim();
    if t != url {
        return Some(format!("remove the spaces around it: {t:?}"));
    }
    if !t.contains("://") && t.contains('.') && !t.contains(' ') {
        let fixed = format!("https://{}", t.trim_start_matches('/'));
        if url::Url::parse(&fixed).is_ok() {
            return Some(format!("did you mean {fixed:?}?"));
        }
    }
    if let Some(rest) = t
        .strip_prefix("http:/")
        .or_else(|| t.strip_prefix("https:/"))
        && !rest.starts_with('/')
    {
        return Some("write two slashes after the scheme, as in \"https://host/path\"".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word() {
        assert_eq!(
            nearest("timzone", ["timezone", "to", "tags"]),
            Some("timezone")
        );
        assert_eq!(nearest("smpt", ["file", "smtp", "sendmail"]), Some("smtp"));
        assert_eq!(nearest("pigeon", ["file", "smtp", "sendmail"]), None);
        assert_eq!(nearest_zones("Asia/Shangai"), vec!["Asia/Shanghai"]);
        assert_eq!(nearest_zones("shanghai"), vec!["Asia/Shanghai"]);
        assert_eq!(nearest_zones("New York"), vec!["America/New_York"]);
        assert_eq!(nearest_zones("Asia/Beijing"), vec!["Asia/Shanghai"]);
        assert!(nearest_zones("Mars/Base").is_empty());
        assert_eq!(
            nearest_zones("CST"),
            vec!["Asia/Shanghai", "America/Chicago"]
        );
        assert_eq!(nearest_zones("China"), vec!["Asia/Shanghai"]);
        assert_eq!(
            zone_hint("cst"),
            "did you mean \"Asia/Shanghai\" or \"America/Chicago\"?"
        );
        assert_eq!(
            url_hint("www.example.com/feed.xml").as_deref(),
            Some("did you mean \"https://www.example.com/feed.xml\"?")
        );
        assert!(enum_hint("smpt", &["file", "smtp"]).starts_with("did you mean \"smtp\"?"));
    }
}

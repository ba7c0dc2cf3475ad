//! Dates feed-rs cannot read: RFC 2822/3339 with sloppy variants, `2026-11-24 08:00:00`,
//! `2022-07-20 16:35:01+03:00`, JavaScript's `Sat Dec 03 2011 00:00:00 GMT`, 12-hour clocks,
//! Chinese `2026年11月24日 08:00`, and zone abbreviations (`BST`, `CEST`, `JST` …). `CST` is ambiguous (US Central or
//! China Standard Time): with a configured default offset it means that offset. Pure.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses a feed timestamp; `default_offset` (seconds east of UTC) applies to dates without
/// a zone and to the ambiguous `CST`.
pub fn parse_timestamp(s: &str, default_offset: Option<i32>) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let offset = FixedOffset::east_opt(default_offset.unwrap_or(0))?;
    let upper = t.to_ascii_uppercase();
    if let Some(stripped) = upper
        .strip_suffix(" CST")
        .or_else(|| upper.strip_suffix(" CCT"))
        && default_offset.is_some()
    {
        return parse_timestamp(stripped, default_offset);
    }
    // A zone abbreviation RFC 2822 does not know: replaced by its offset.
    if let Some((rest, abbr)) = t.rsplit_once(' ')
        && let Some(off) = zone_offset(abbr)
    {
        return parse_timestamp(&format!("{rest} {off}"), default_offset);
    }
    zoned(t).or_else(|| local(t, offset))
}

/// RFC 2822 without the weekday or with a long weekday/month name (after ", " is cut).
const RFC2822_LIKE: [&str; 5] = [
    "%d %b %Y %H:%M:%S %z",
    "%d %B %Y %H:%M:%S %z",
    "%d %b %Y %H:%M %z",
    "%d %b %Y %H:%M:%S GMT",
    "%d %b %Y %H:%M:%S UTC",
];

/// ISO-like forms with a numeric offset.
const ISO_ZONED: [&str; 6] = [
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M%:z",
    "%Y-%m-%d %H:%M%:z",
];

/// Date and time without a zone: the default offset applies.
const NAIVE: [&str; 15] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%d %b %Y %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S",
    "%a, %b %d %Y %I:%M:%S %p",
    "%b %d %Y %I:%M:%S %p",
    "%a %b %d %Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
];

/// A date alone: midnight at the default offset.
const DATE_ONLY: [&str; 6] = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
];

/// Forms that carry their own zone (or say UTC/GMT).
fn zoned(t: &str) -> Option<DateTime<Utc>> {
    // JavaScript's Date.toString(): "Sat Dec 03 2011 00:00:00 GMT+0000 (UTC)".
    let js = t.split_once(" (").map_or(t, |(a, _)| a);
    for f in ["%a %b %d %Y %H:%M:%S GMT%z", "%a %b %d %Y %H:%M:%S %z"] {
        if let Ok(d) = DateTime::parse_from_str(js, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Some(n) = js
        .strip_suffix(" GMT")
        .or_else(|| js.strip_suffix(" UTC"))
        .and_then(|r| NaiveDateTime::parse_from_str(r, "%a %b %d %Y %H:%M:%S").ok())
    {
        return Some(Utc.from_utc_datetime(&n));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t).or_else(|_| DateTime::parse_from_rfc2822(t)) {
        return Some(d.with_timezone(&Utc));
    }
    let no_weekday = t.split_once(", ").map(|(_, r)| r).unwrap_or(t);
    for f in RFC2822_LIKE {
        if let Ok(d) = DateTime::parse_from_str(no_weekday, f) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(no_weekday, f) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    ISO_ZONED
        .iter()
        .find_map(|f| DateTime::parse_from_str(t, f).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Forms without a zone, read at `offset`.
fn local(t: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let n = NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            DATE_ONLY
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    offset
        .from_local_datetime(&n)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Offsets of zone abbreviations that feeds use and RFC 2822 parsers do not know (RFC 2822's
/// own, GMT/UT/EST/EDT/CST/CDT/MST/MDT/PST/PDT, are left to chrono; CST is handled above).
fn zone_offset(abbr: &str) -> Option<&'static str> {
    Some(match abbr {
        "UTC" | "Z" | "WET" => "+0000",
        "BST" | "CET" | "WEST" | "MEZ" => "+0100",
        "CEST" | "EET" | "MESZ" | "SAST" => "+0200",
        "EEST" | "MSK" => "+0300",
        "IST" => "+0530",
        "ICT" | "WIB" => "+0700",
        "HKT" | "SGT" | "AWST" | "PHT" => "+0800",
        "JST" | "KST" => "+0900",
        "AEST" => "+1000",
        "AEDT" => "+1100",
        "NZST" => "+1200",
        "NZDT" => "+1300",
        "AKST" => "-0900",
        "HST" => "-1000",
        "AST" => "-0400",
        "ADT" => "-0300",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    #[test]
    fn formats() {
        let cn = Some(8 * 3600);
        assert_eq!(
            parse_timestamp("Tue, 24 Nov 2026 08:00:00 +0800", None),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-11-24T08:00:00Z", None),
            utc("2026-11-24T08:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-11-24 08:00:00", cn),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026-11-24 08:00:00", None),
            utc("2026-11-24T08:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026年11月24日 08:00", cn),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2026年11月24日", cn),
            utc("2026-11-23T16:00:00Z")
        );
        assert_eq!(
            parse_timestamp("Tue, 24 Nov 2026 08:00:00 CST", cn),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("Tue, 24 Nov 2026 08:00:00 CST", None),
            utc("2026-11-24T14:00:00Z")
        );
        assert_eq!(
            parse_timestamp("24 Nov 2026 08:00:00 GMT", None),
            utc("2026-11-24T08:00:00Z")
        );
        assert_eq!(
            parse_timestamp("Sat Dec 03 2011 00:00:00 GMT", None),
            utc("2011-12-03T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp("Sat Dec 03 2011 10:00:00 GMT+0200 (CEST)", None),
            utc("2011-12-03T08:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2022-07-20 16:35:01+03:00", None),
            utc("2022-07-20T13:35:01Z")
        );
        assert_eq!(
            parse_timestamp("Sat, Dec 16 2023 02:02:33 PM", None),
            utc("2023-12-16T14:02:33Z")
        );
        assert_eq!(
            parse_timestamp("Fri, 17 May 2019 06:00:00 BST", None),
            utc("2019-05-17T05:00:00Z")
        );
        assert_eq!(
            parse_timestamp("Tue, 24 Nov 2026 09:00:00 JST", None),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(parse_timestamp("not a date", None), None);
        assert_eq!(parse_timestamp("", None), None);
    }
}

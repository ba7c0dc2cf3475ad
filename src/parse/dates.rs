//! Dates feed-rs cannot read: RFC 2822/3339 with sloppy variants, `2026-11-24 08:00:00`,
//! Chinese `2026年11月24日 08:00`, and zone abbreviations. `CST` is ambiguous (US Central or
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
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    // RFC 2822 without the weekday or with a long weekday/month name.
    let no_weekday = t.split_once(", ").map(|(_, r)| r).unwrap_or(t);
    for f in [
        "%d %b %Y %H:%M:%S %z",
        "%d %B %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%d %b %Y %H:%M:%S GMT",
        "%d %b %Y %H:%M:%S UTC",
    ] {
        if let Ok(d) = DateTime::parse_from_str(no_weekday, f) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(no_weekday, f) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = [
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
    ];
    for f in naive {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return offset
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y年%m月%d日",
        "%d %b %Y",
        "%B %d, %Y",
        "%b %d, %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            let n = d.and_hms_opt(0, 0, 0)?;
            return offset
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    None
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
        assert_eq!(parse_timestamp("not a date", None), None);
        assert_eq!(parse_timestamp("", None), None);
    }
}

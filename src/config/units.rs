//! Small value parsers for configuration: durations ("30s", "15m", "6h", "14d", "1w",
//! "500ms", combined as "1h30m") and byte sizes ("16MiB", "512KB", "1000").

use std::time::Duration;

/// Parses a duration such as `30s`, `15m`, `1h30m`, `14d`, `2w`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "bad duration {s:?}: expected a number, e.g. \"30m\", \"6h\", \"14d\""
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad duration {s:?}: number too large"))?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        let secs = match unit {
            "ms" => {
                total = total.saturating_add(Duration::from_millis(n));
                rest = rest[unit_len..].trim_start();
                continue;
            }
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            "" => return Err(format!("bad duration {s:?}: missing unit (s, m, h, d, w)")),
            other => {
                return Err(format!(
                    "bad duration {s:?}: unknown unit {other:?} (use s, m, h, d, w)"
                ));
            }
        };
        total = total.saturating_add(Duration::from_secs(n.saturating_mul(secs)));
        rest = rest[unit_len..].trim_start();
    }
    Ok(total)
}

/// A duration as the largest whole unit that fits it exactly ("90s", "15m", "36500d").
pub fn show(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        return format!("{}ms", d.as_millis());
    }
    for (unit, n) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if s.is_multiple_of(n) {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

/// Parses a byte size: a number with an optional unit (B, KB, KiB, MB, MiB, GB, GiB).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return Err(format!("bad size {s:?}: expected e.g. \"16MiB\""));
    }
    let n: u64 = t[..digits].parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "kib" => 1024,
        "mb" | "m" => 1_000_000,
        "mib" => 1 << 20,
        "gb" | "g" => 1_000_000_000,
        "gib" => 1 << 30,
        other => return Err(format!("bad size {s:?}: unknown unit {other:?}")),
    };
    Ok(n.saturating_mul(mult))
}

/// Parses a UTC offset like `+08:00`, `-0500`, `+8` into seconds east of UTC.
pub fn parse_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => {
            return Err(format!(
                "bad UTC offset {s:?} — expected e.g. \"+08:00\" or \"-05:00\""
            ));
        }
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().unwrap_or(99), 0),
        4 => (
            digits[..2].parse::<i32>().unwrap_or(99),
            digits[2..].parse::<i32>().unwrap_or(99),
        ),
        _ => {
            return Err(format!(
                "bad UTC offset {s:?} — expected e.g. \"+08:00\" or \"-05:00\""
            ));
        }
    };
    if h > 14 || m > 59 {
        return Err(format!(
            "bad UTC offset {s:?} — hours go up to 14, minutes up to 59, e.g. \"+05:30\""
        ));
    }
    Ok(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("14d"), Ok(Duration::from_secs(14 * 86400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("14").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
        // Absurd values saturate instead of overflowing; the settings then refuse them.
        assert_eq!(
            parse_duration("18446744073709551615w 18446744073709551615w"),
            Ok(Duration::MAX)
        );
        assert_eq!(show(Duration::from_secs(90)), "90s");
        assert_eq!(show(Duration::from_secs(36_500 * 86_400)), "36500d");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn sizes_and_offsets() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_offset("+08:00"), Ok(28800));
        assert_eq!(parse_offset("-0530"), Ok(-(5 * 3600 + 30 * 60)));
        assert!(parse_offset("8").is_err());
    }
}

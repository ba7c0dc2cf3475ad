//! Digest schedules: cron expressions (croner, 5 or 6 fields) and friendly forms
//! ("daily at 08:00", "weekdays at 07:30", "every 6h", "hourly"), evaluated in an IANA
//! time zone so daylight-saving changes fall where the user expects. Pure.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use std::str::FromStr;

/// When a digest profile is due.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// As written by the user.
    pub text: String,
    /// The cron expression it stands for.
    pub cron_text: String,
    cron: Cron,
    pub tz: Tz,
}

impl Schedule {
    /// Parses `text` (cron or friendly form) in time zone `tz` (IANA name).
    pub fn parse(text: &str, tz: &str) -> Result<Self, String> {
        let tz: Tz = tz.parse().map_err(|_| {
            format!("unknown time zone {tz:?} (use an IANA name such as \"Europe/Berlin\")")
        })?;
        let cron_text = friendly_to_cron(text)?;
        let cron = Cron::from_str(&cron_text).map_err(|e| format!("bad schedule {text:?}: {e}"))?;
        Ok(Self {
            text: text.to_string(),
            cron_text,
            cron,
            tz,
        })
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }
}

fn hhmm(s: &str) -> Result<(u32, u32), String> {
    let (h, m) = s
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("bad time {s:?}: expected HH:MM"))?;
    let h: u32 = h.parse().map_err(|_| format!("bad time {s:?}"))?;
    let m: u32 = m.parse().map_err(|_| format!("bad time {s:?}"))?;
    if h > 23 || m > 59 {
        return Err(format!("bad time {s:?}"));
    }
    Ok((h, m))
}

/// Translates the friendly forms into cron; anything else is taken as cron as-is.
fn friendly_to_cron(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_lowercase();
    if t == "hourly" {
        return Ok("0 * * * *".into());
    }
    if t == "daily" {
        return Ok("0 8 * * *".into());
    }
    for (prefix, days) in [
        ("daily at ", "*"),
        ("weekdays at ", "1-5"),
        ("weekends at ", "0,6"),
        ("mondays at ", "1"),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let (h, m) = hhmm(rest)?;
            return Ok(format!("{m} {h} * * {days}"));
        }
    }
    if let Some(rest) = t.strip_prefix("every ") {
        let rest = rest.trim();
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let unit = rest[n.len()..].trim();
        let n: u32 = n
            .parse()
            .map_err(|_| format!("bad schedule {text:?}: expected e.g. \"every 6h\""))?;
        return match unit {
            "m" | "min" | "mins" | "minutes" if n > 0 && n < 60 && 60 % n == 0 => {
                Ok(format!("*/{n} * * * *"))
            }
            "h" | "hour" | "hours" if n > 0 && n <= 24 && 24 % n == 0 => {
                Ok(format!("0 */{n} * * *"))
            }
            _ => Err(format!(
                "bad schedule {text:?}: \"every N\" takes minutes dividing 60 or hours dividing 24 (e.g. \"every 15m\", \"every 6h\")"
            )),
        };
    }
    Ok(text.trim().to_string())
}

/// A daily window in local time when alerts are held, e.g. "22:00-07:00" (may wrap midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: u32,
    end: u32,
}

impl QuietHours {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (a, b) = text
            .split_once('-')
            .ok_or_else(|| format!("quiet_hours {text:?}: expected \"HH:MM-HH:MM\""))?;
        let (ah, am) = hhmm(a)?;
        let (bh, bm) = hhmm(b)?;
        Ok(Self {
            start: ah * 60 + am,
            end: bh * 60 + bm,
        })
    }

    /// Whether `t` falls in the window, in time zone `tz`.
    pub fn contains(&self, t: DateTime<Utc>, tz: Tz) -> bool {
        use chrono::Timelike;
        let l = t.with_timezone(&tz);
        let m = l.hour() * 60 + l.minute();
        if self.start <= self.end {
            m >= self.start && m < self.end
        } else {
            m >= self.start || m < self.end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0).unwrap();
        // Asia/Shanghai is UTC+8: 15:00Z = 23:00 local (quiet), 23:30Z = 07:30 local (not).
        assert!(q.contains(at(15, 0), chrono_tz::Asia::Shanghai));
        assert!(!q.contains(at(23, 30), chrono_tz::Asia::Shanghai));
        assert!(q.contains(at(22, 30), chrono_tz::UTC) && q.contains(at(6, 59), chrono_tz::UTC));
        assert!(!q.contains(at(7, 0), chrono_tz::UTC));
        assert!(QuietHours::parse("22:00").is_err());
    }

    #[test]
    fn friendly_forms() {
        assert_eq!(
            friendly_to_cron("daily at 08:00").as_deref(),
            Ok("0 8 * * *")
        );
        assert_eq!(
            friendly_to_cron("weekdays at 07:30").as_deref(),
            Ok("30 7 * * 1-5")
        );
        assert_eq!(friendly_to_cron("every 6h").as_deref(), Ok("0 */6 * * *"));
        assert!(friendly_to_cron("every 7h").is_err());
    }

    #[test]
    fn next_in_timezone_and_dst() {
        let s = Schedule::parse("0 8 * * *", "Asia/Shanghai").unwrap();
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        assert_eq!(
            s.next_after(t),
            Some(Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap())
        );
        // Europe/Berlin switches to summer time on 2026-03-29: 08:00 local is 07:00Z before, 06:00Z after.
        let b = Schedule::parse("daily at 08:00", "Europe/Berlin").unwrap();
        let before = Utc.with_ymd_and_hms(2026, 3, 28, 12, 0, 0).unwrap();
        assert_eq!(
            b.next_after(before),
            Some(Utc.with_ymd_and_hms(2026, 3, 29, 6, 0, 0).unwrap())
        );
        assert!(Schedule::parse("0 8 * * *", "Mars/Olympus").is_err());
        assert!(Schedule::parse("61 8 * * *", "UTC").is_err());
    }
}

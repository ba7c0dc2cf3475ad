//! Checks `chipwatch init`'s flags before anything is written: the addresses (`--to`,
//! `--from`), `--timezone` (with the nearest IANA names, as the config check gives them),
//! `--smtp HOST[:PORT]` (a real port 1–65535) and `--smtp-user`. Every problem is one line,
//! `--flag "value": what — hint`; `init_cmd` prints them all and exits 2 without writing.
//! Pure: no I/O.

use crate::config::diag::zone_hint;

/// The SMTP server named by `--smtp`.
#[derive(Debug, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: Option<u16>,
}

/// The flags' values to check (the address may come from the terminal prompt).
pub struct Flags<'a> {
    pub to: &'a str,
    pub from: &'a str,
    pub timezone: &'a str,
    pub smtp: Option<&'a str>,
    pub smtp_user: Option<&'a str>,
}

/// The SMTP server (if `--smtp` was given), or every problem found.
pub fn check(f: &Flags) -> Result<Option<SmtpServer>, Vec<String>> {
    let mut problems = Vec::new();
    for (flag, value) in [("--to", f.to), ("--from", f.from)] {
        if let Err(e) = value.parse::<lettre::message::Mailbox>() {
            problems.push(format!(
                "{flag} {value:?}: not a mail address ({e}) — e.g. {flag} you@example.org"
            ));
        }
    }
    if f.timezone.parse::<chrono_tz::Tz>().is_err() {
        problems.push(format!(
            "--timezone {:?}: unknown time zone — {}",
            f.timezone,
            zone_hint(f.timezone)
        ));
    }
    if f.smtp_user.is_some_and(|u| u.trim().is_empty()) {
        problems.push(
            "--smtp-user \"\": empty — give the SMTP login name, or leave --smtp-user out".into(),
        );
    }
    let smtp = match f.smtp.map(smtp_server).transpose() {
        Ok(s) => s,
        Err(e) => {
            problems.push(e);
            None
        }
    };
    if problems.is_empty() {
        Ok(smtp)
    } else {
        Err(problems)
    }
}

/// `HOST[:PORT]`: `smtp.example.org`, `smtp.example.org:465`, `127.0.0.1:2525`, `[::1]:25`.
pub fn smtp_server(arg: &str) -> Result<SmtpServer, String> {
    let t = arg.trim();
    let bad = |what: &str| format!("--smtp {arg:?}: {what}");
    if t.contains("://") {
        return Err(bad(
            "write the host name alone, without a scheme — e.g. --smtp smtp.example.org:587",
        ));
    }
    let (host, port) = if let Some(rest) = t.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(bad("expected [IPv6]:PORT, e.g. --smtp [::1]:25")),
            },
            None => return Err(bad("missing ] after the IPv6 address")),
        }
    } else if t.parse::<std::net::Ipv6Addr>().is_ok() {
        (t, None)
    } else {
        match t.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (t, None),
        }
    };
    if host.is_empty()
        || host.contains(['/', ' ', ':']) && host.parse::<std::net::Ipv6Addr>().is_err()
    {
        return Err(bad(
            "not a host name — write HOST or HOST:PORT, e.g. --smtp smtp.example.org:587",
        ));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u32>() {
            Ok(n @ 1..=65535) => u16::try_from(n).ok(),
            Ok(_) => return Err(bad("port must be 1–65535")),
            Err(_) => {
                return Err(bad(&format!(
                    "{p:?} is not a port — a port is a number from 1 to 65535, e.g. --smtp {host}:587"
                )));
            }
        },
    };
    Ok(SmtpServer {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags<'a>(to: &'a str, timezone: &'a str, smtp: Option<&'a str>) -> Flags<'a> {
        Flags {
            to,
            from: "chipwatch <chipwatch@localhost>",
            timezone,
            smtp,
            smtp_user: None,
        }
    }

    #[test]
    fn smtp_host_and_port() {
        let s = |h: &str, p| SmtpServer {
            host: h.into(),
            port: p,
        };
        assert_eq!(
            smtp_server("smtp.example.org"),
            Ok(s("smtp.example.org", None))
        );
        assert_eq!(
            smtp_server("127.0.0.1:2525"),
            Ok(s("127.0.0.1", Some(2525)))
        );
        assert_eq!(smtp_server("[::1]:25"), Ok(s("::1", Some(25))));
        assert_eq!(smtp_server("::1"), Ok(s("::1", None)));
        assert_eq!(
            smtp_server("127.0.0.1:99999"),
            Err("--smtp \"127.0.0.1:99999\": port must be 1–65535".into())
        );
        assert!(smtp_server("127.0.0.1:0").is_err());
        assert!(
            smtp_server("host:58x")
                .unwrap_err()
                .contains("\"58x\" is not a port")
        );
        assert!(smtp_server("smtp://x.example").is_err());
        assert!(smtp_server(":587").is_err());
    }

    #[test]
    fn every_bad_flag_is_reported() {
        assert_eq!(check(&flags("a@b.test", "UTC", None)), Ok(None));
        let e = check(&flags("nobody", "Asia/Shangai", Some("h:70000"))).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("--to \"nobody\": not a mail address"));
        assert_eq!(
            e[1],
            "--timezone \"Asia/Shangai\": unknown time zone — did you mean \"Asia/Shanghai\"?"
        );
        assert!(e[2].contains("port must be 1–65535"));
    }
}

//! The `[mail]` and `[smtp]` sections: sender, transport (default: SMTP when `[smtp]` is
//! present, else files), the SMTP password from a file or the environment, and warnings for
//! combinations that contradict each other (an `[smtp]` table no transport uses, settings of
//! another transport). Called by [`super::resolve`].

use super::diag::enum_hint;
use super::files::{Ctx, Files};
use super::raw::{RawMail, RawSmtp};
use super::*;
use toml::Spanned;

const TRANSPORTS: &[&str] = &["file", "maildir", "smtp", "sendmail"];
const TLS: &[&str] = &["starttls", "tls", "none"];

/// `[mail]` + `[smtp]` → [`MailConfig`]; None after reporting its errors.
pub(super) fn resolve_mail(
    cx: &Ctx,
    m: RawMail,
    smtp: Option<RawSmtp>,
    state_dir: &Path,
    files: &Files,
) -> Option<MailConfig> {
    let from = from_address(cx, &m);
    let kind = match &m.transport {
        Some(t) if !TRANSPORTS.contains(&t.get_ref().as_str()) => {
            cx.report(
                t,
                format!(
                    "[mail] transport = {:?} is not a transport — {}",
                    t.get_ref(),
                    enum_hint(t.get_ref(), TRANSPORTS)
                ),
            );
            return None;
        }
        Some(t) => t.get_ref().as_str(),
        None if smtp.is_some() => "smtp",
        None => "file",
    };
    contradictions(cx, &m, smtp.as_ref(), kind);
    if kind == "sendmail" {
        sendmail_present(cx, &m);
    }
    let transport = match kind {
        "maildir" => Transport::Maildir {
            dir: state_dir.join(m.dir.as_ref().map_or("maildir", |d| d.get_ref().as_str())),
        },
        "sendmail" => Transport::Sendmail {
            command: m.sendmail_command.clone().map(Spanned::into_inner),
        },
        "smtp" => match smtp {
            Some(s) => Transport::Smtp(smtp_config(cx, s, files)?),
            None => {
                let at = m.transport.as_ref()?;
                cx.report(
                    at,
                    "[mail] transport = \"smtp\" needs an [smtp] table — add [smtp] with host = \"…\" (and port, username, password_file)",
                );
                return None;
            }
        },
        _ => Transport::File {
            dir: state_dir.join(m.dir.as_ref().map_or("outbox", |d| d.get_ref().as_str())),
        },
    };
    let unsubscribe = unsubscribe(cx, &m);
    Some(MailConfig {
        from: from?,
        transport,
        unsubscribe: unsubscribe?,
    })
}

fn from_address(cx: &Ctx, m: &RawMail) -> Option<String> {
    match &m.from {
        Some(f) => match f.get_ref().parse::<lettre::message::Mailbox>() {
            Ok(_) => Some(f.get_ref().clone()),
            Err(e) => {
                cx.report(
                    f,
                    format!(
                        "[mail] from = {:?} is not a mail address ({e}) — e.g. from = \"chipwatch <chipwatch@example.org>\"",
                        f.get_ref()
                    ),
                );
                None
            }
        },
        None => Some("chipwatch <chipwatch@localhost>".to_string()),
    }
}

fn unsubscribe(cx: &Ctx, m: &RawMail) -> Option<Option<String>> {
    let Some(u) = &m.unsubscribe else {
        return Some(None);
    };
    let ok = url::Url::parse(u.get_ref()).is_ok_and(|x| matches!(x.scheme(), "mailto" | "https"));
    if !ok {
        cx.report(
            u,
            format!(
                "[mail] unsubscribe {:?}: use a mailto: or https: URL — e.g. \"mailto:owner@example.org?subject=unsubscribe\"",
                u.get_ref()
            ),
        );
        return None;
    }
    Some(Some(u.get_ref().clone()))
}

/// Settings that contradict each other: warnings, since the config still works.
fn contradictions(cx: &Ctx, m: &RawMail, smtp: Option<&RawSmtp>, kind: &str) {
    if let (Some(t), Some(s)) = (&m.transport, smtp)
        && kind != "smtp"
    {
        cx.warn(
            t,
            format!(
                "[mail] transport = {kind:?} while an [smtp] table (host {:?}) is present: no mail goes through SMTP — remove this line to send via SMTP, or remove [smtp]",
                s.host.get_ref()
            ),
        );
    }
    if let (Some(d), false) = (&m.dir, matches!(kind, "file" | "maildir")) {
        cx.warn(
            d,
            format!(
                "[mail] dir = {:?} is used only by the file and maildir transports, not {kind:?}",
                d.get_ref()
            ),
        );
    }
    if let (Some(c), false) = (&m.sendmail_command, kind == "sendmail") {
        cx.warn(
            c,
            format!(
                "[mail] sendmail_command is used only by transport = \"sendmail\", not {kind:?}"
            ),
        );
    }
    if let Some(s) = smtp {
        if let (Some(f), Some(_)) = (&s.password_file, &s.password_env) {
            cx.warn(
                f,
                "[smtp] has both password_file and password_env: password_file is used",
            );
        }
        if let (Some(p), Some(t)) = (&s.port, &s.tls) {
            let odd = match (t.get_ref().as_str(), *p.get_ref()) {
                ("tls", 587 | 25) => Some("starttls"),
                ("starttls" | "none", 465) => Some("tls"),
                _ => None,
            };
            if let Some(better) = odd {
                cx.warn(
                    p,
                    format!(
                        "[smtp] port = {} with tls = {:?}: that port usually speaks tls = {better:?}",
                        p.get_ref(),
                        t.get_ref()
                    ),
                );
            }
        }
        if s.username.is_none() && (s.password_file.is_some() || s.password_env.is_some()) {
            cx.warn(
                &s.host,
                "[smtp] has a password but no username: the password is not used",
            );
        }
    }
}

/// A warning when the sendmail program is not there: mail would fail at the first digest.
fn sendmail_present(cx: &Ctx, m: &RawMail) {
    let command = m.sendmail_command.as_ref().map(|c| c.get_ref().as_str());
    let program = command
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or("sendmail");
    let found = if program.contains('/') {
        Path::new(program).is_file()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
    };
    if !found && let Some(at) = m.sendmail_command.as_ref().or(m.transport.as_ref()) {
        cx.warn(
            at,
            format!(
                "transport = \"sendmail\": no program {program:?} found{} — install a mail transfer agent (Postfix, Exim, msmtp-mta) or set sendmail_command = \"/path/to/sendmail\"",
                if program.contains('/') { "" } else { " on PATH" }
            ),
        );
    }
}

fn smtp_config(cx: &Ctx, s: RawSmtp, files: &Files) -> Option<SmtpConfig> {
    let tls = match s.tls.as_ref().map(|t| t.get_ref().as_str()) {
        None | Some("starttls") => Some(Tls::Starttls),
        Some("tls") => Some(Tls::Tls),
        Some("none") => Some(Tls::None),
        Some(other) => {
            let at = s.tls.as_ref().unwrap_or(&s.host);
            cx.report(
                at,
                format!("[smtp] tls = {other:?} — {}", enum_hint(other, TLS)),
            );
            None
        }
    };
    let host = s.host.get_ref().trim();
    if let Some((name, port)) = with_port(host) {
        cx.report(
            &s.host,
            format!(
                "[smtp] host = {:?} contains a port — write host = {name:?} and put the port in port = {port} (a number, no quotes)",
                s.host.get_ref()
            ),
        );
    } else if host.is_empty() || host.contains("://") || host.contains(['/', ' ']) {
        cx.report(
            &s.host,
            format!(
                "[smtp] host = {:?} is not a host name — write the name alone, e.g. host = \"smtp.example.org\" (port and tls are keys of their own)",
                s.host.get_ref()
            ),
        );
    }
    let password = password(cx, &s, files);
    let timeout = cx.ok(cx.duration_in(
        &s.timeout,
        Duration::from_secs(30),
        (Duration::from_secs(1), Duration::from_secs(600)),
        "[smtp] timeout",
    ));
    let tls = tls?;
    Some(SmtpConfig {
        host: host.to_string(),
        port: s.port.map(Spanned::into_inner).unwrap_or(match tls {
            Tls::Tls => 465,
            Tls::Starttls => 587,
            Tls::None => 25,
        }),
        tls,
        username: s.username.map(Spanned::into_inner),
        password: password?,
        timeout: timeout?,
    })
}

/// `host:port` (or `[v6]:port`) split into the name and the port ("…" when it is not a port
/// number); None for a host name or a bare IPv6 address.
fn with_port(host: &str) -> Option<(&str, String)> {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return None;
    }
    let (name, port) = host.rsplit_once(':')?;
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .map_or("…".to_string(), |p| p.to_string());
    Some((name, port))
}

/// The SMTP password: `password_file` (looked up in `$CREDENTIALS_DIRECTORY` first, for
/// systemd's LoadCredential=), else `password_env`, else none.
fn password(cx: &Ctx, s: &RawSmtp, files: &Files) -> Option<Option<Secret>> {
    match (&s.password_file, &s.password_env) {
        (Some(f), _) => {
            let name = f.get_ref();
            let path = match std::env::var("CREDENTIALS_DIRECTORY") {
                Ok(d) if !Path::new(name).is_absolute() && Path::new(&d).join(name).exists() => {
                    Path::new(&d).join(name)
                }
                _ => files.resolve(name),
            };
            match std::fs::read_to_string(&path) {
                Ok(p) => {
                    let p = p.trim_end_matches(['\r', '\n']);
                    if p.trim().is_empty() {
                        cx.warn(
                            f,
                            format!(
                                "[smtp] password file {} is empty — put the SMTP password in it, on one line (until then the server refuses the login)",
                                path.display()
                            ),
                        );
                    }
                    Some(Some(Secret(p.to_string())))
                }
                Err(e) => {
                    cx.report(
                        f,
                        format!(
                            "[smtp] password_file: cannot read {}: {e} — create it (mode 600) with the password on one line, or use password_env = \"VAR\"",
                            path.display()
                        ),
                    );
                    None
                }
            }
        }
        (None, Some(var)) => match std::env::var(var.get_ref()) {
            Ok(v) => Some(Some(Secret(v))),
            Err(_) => {
                cx.report(
                    var,
                    format!(
                        "[smtp] password_env: environment variable {} is not set — export it before starting chipwatch",
                        var.get_ref()
                    ),
                );
                None
            }
        },
        (None, None) => Some(None),
    }
}

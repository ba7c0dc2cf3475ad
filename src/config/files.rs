//! What every part of the config loader shares: reading included files (relative to the config
//! file, from the embedded set, or `builtin:` files compiled into the binary), turning byte
//! offsets into `file:line:col`, and the context ([`Ctx`]) that builds located errors, collects
//! them and warnings in the load's [`Report`], and reads range-checked settings. A leaf: it
//! imports nothing else of `config` but the error type, the report and units.

use super::diag::Report;
use super::units::{self, parse_duration};
use super::{ConfigError, EMBEDDED};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Reads files relative to the config file, or from the embedded set.
pub(super) struct Files<'a> {
    pub(super) base: Option<&'a Path>,
}

/// The prefix naming a file compiled into the binary, e.g. `builtin:rules/semiconductor-export.toml`:
/// it keeps tracking the installed binary's version of that file.
pub const BUILTIN: &str = "builtin:";

impl Files<'_> {
    pub(super) fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_relative()
            && let Some(b) = self.base
        {
            // Shown and used absolute, so a message never names a path relative to nowhere.
            let dir = match b.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let dir = std::path::absolute(dir).unwrap_or(dir.to_path_buf());
            return normalize(&dir.join(p));
        }
        match self.base {
            Some(b) if p.is_relative() => b.parent().unwrap_or(Path::new(".")).join(p),
            _ => p.to_path_buf(),
        }
    }
    pub(super) fn read(&self, rel: &str) -> Result<(String, String), ConfigError> {
        if let Some(name) = rel.strip_prefix(BUILTIN) {
            return match EMBEDDED.iter().find(|(n, _)| *n == name) {
                Some((name, text)) => Ok((format!("(builtin) config/{name}"), (*text).to_string())),
                None => Err(ConfigError::Invalid {
                    location: rel.to_string(),
                    message: format!(
                        "no built-in file {name:?} — built-in files: {}",
                        EMBEDDED
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            };
        }
        if self.base.is_none()
            && let Some((name, text)) = EMBEDDED.iter().find(|(n, _)| *n == rel)
        {
            return Ok((format!("(embedded) config/{name}"), (*text).to_string()));
        }
        let p = self.resolve(rel);
        let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Read {
            path: p.display().to_string(),
            source: e,
        })?;
        Ok((p.display().to_string(), text))
    }
}

/// `path:line:col` of a byte offset in `text`.
pub(super) fn locate(path: &str, text: &str, offset: usize) -> (usize, usize, String) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col, format!("{path}:{line}:{col}"))
}

/// `a/b/../c` → `a/c`, `a/./b` → `a/b` (lexically: the file need not exist).
pub(super) fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// One file being resolved: its name and text (for `file:line:col`) and the load's report.
pub(super) struct Ctx<'a> {
    pub(super) path: String,
    pub(super) text: &'a str,
    pub(super) report: &'a Report,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(path: impl Into<String>, text: &'a str, report: &'a Report) -> Self {
        Ctx {
            path: path.into(),
            text,
            report,
        }
    }
    /// `file:line:col` of a spanned value.
    pub(super) fn at<T>(&self, s: &Spanned<T>) -> String {
        locate(&self.path, self.text, s.span().start).2
    }
    pub(super) fn err<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: self.at(s),
            message: message.into(),
        }
    }
    /// An error for the file as a whole (no better position is known).
    pub(super) fn err_file(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: self.path.clone(),
            message: message.into(),
        }
    }
    /// The value of `r`, or None after recording its error in the report.
    pub(super) fn ok<T>(&self, r: Result<T, ConfigError>) -> Option<T> {
        self.report.ok(r)
    }
    /// Records an error at `s` and goes on.
    pub(super) fn report<T>(&self, s: &Spanned<T>, message: impl Into<String>) {
        self.report.error(self.err(s, message));
    }
    /// Records a warning at `s` (`warning: file:line:col: …`).
    pub(super) fn warn<T>(&self, s: &Spanned<T>, message: impl AsRef<str>) {
        self.report.warning(&self.at(s), message);
    }
    /// A duration setting within `lo..=hi` (`what` names it in the message).
    pub(super) fn duration_in(
        &self,
        s: &Option<Spanned<String>>,
        default: Duration,
        (lo, hi): (Duration, Duration),
        what: &str,
    ) -> Result<Duration, ConfigError> {
        match s {
            None => Ok(default),
            Some(v) => {
                let d =
                    parse_duration(v.get_ref()).map_err(|m| self.err(v, format!("{what}: {m}")))?;
                self.check_duration(v, d, (lo, hi), what)
            }
        }
    }
    pub(super) fn check_duration<T>(
        &self,
        at: &Spanned<T>,
        d: Duration,
        (lo, hi): (Duration, Duration),
        what: &str,
    ) -> Result<Duration, ConfigError> {
        if d < lo || d > hi {
            return Err(self.err(
                at,
                format!(
                    "{what} = {}: must be between {} and {}",
                    units::show(d),
                    units::show(lo),
                    units::show(hi)
                ),
            ));
        }
        Ok(d)
    }
    /// An integer setting within `lo..=hi`.
    pub(super) fn int_in(
        &self,
        s: &Option<Spanned<i64>>,
        default: i64,
        (lo, hi): (i64, i64),
        what: &str,
    ) -> Result<i64, ConfigError> {
        match s {
            None => Ok(default),
            Some(v) if (lo..=hi).contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(self.err(
                v,
                format!("{what} = {}: must be between {lo} and {hi}", v.get_ref()),
            )),
        }
    }
    /// A number setting within `lo..=hi` (NaN and infinities refused).
    pub(super) fn float_in(
        &self,
        s: &Option<Spanned<f64>>,
        default: f64,
        (lo, hi): (f64, f64),
        what: &str,
    ) -> Result<f64, ConfigError> {
        match s {
            None => Ok(default),
            Some(v) if v.get_ref().is_finite() && (lo..=hi).contains(v.get_ref()) => {
                Ok(*v.get_ref())
            }
            Some(v) => Err(self.err(
                v,
                format!(
                    "{what} = {}: must be a number between {lo} and {hi}",
                    v.get_ref()
                ),
            )),
        }
    }
}

pub(super) const SEC: Duration = Duration::from_secs(1);
pub(super) const MIN: Duration = Duration::from_secs(60);
pub(super) const HOUR: Duration = Duration::from_secs(3600);
pub(super) const DAY: Duration = Duration::from_secs(86_400);
/// The longest period any setting may name (a century): keeps all time arithmetic in range.
pub(super) const CENTURY: Duration = Duration::from_secs(36_500 * 86_400);

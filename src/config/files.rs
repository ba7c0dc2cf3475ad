//! What every part of the config loader shares: reading included files (relative to the config
//! file, or from the embedded set), turning byte offsets into `file:line:col`, the context that
//! builds located errors and range-checked settings, and the TOML syntax error. A leaf: it
//! imports nothing else of `config` but the error type and units.

use super::units::{self, parse_duration};
use super::{ConfigError, EMBEDDED};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Reads files relative to the config file, or from the embedded set.
pub(super) struct Files<'a> {
    pub(super) base: Option<&'a Path>,
}

impl Files<'_> {
    pub(super) fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        match self.base {
            Some(b) if p.is_relative() => b.parent().unwrap_or(Path::new(".")).join(p),
            _ => p.to_path_buf(),
        }
    }
    pub(super) fn read(&self, rel: &str) -> Result<(String, String), ConfigError> {
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

pub(super) struct Ctx<'a> {
    pub(super) path: String,
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: locate(&self.path, self.text, s.span().start).2,
            message: message.into(),
        }
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

pub(super) fn syntax(path: &str, e: toml::de::Error) -> ConfigError {
    ConfigError::Syntax {
        path: path.to_string(),
        message: e.to_string().trim_end().to_string(),
    }
}

//! Compile diagnostics of the rule engine: [`RuleError`] (the rule set is
//! rejected) and [`Warning`] (compiled, but probably not what was meant), with
//! `path:line:col` + caret rendering.

use std::fmt;

use super::Origin;

/// An invalid rule: names the rule, where its query sits and the bad column.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// Rule name, or `@set` for an invalid term-set member.
    pub rule: String,
    /// Where the query string starts in its file.
    pub origin: Origin,
    /// 0-based char column of the problem inside `query`.
    pub col: usize,
    /// What is wrong, in words.
    pub message: String,
    /// The offending query (or set member) as written.
    pub query: String,
}

/// A rule that compiles but is probably not what its author meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Rule name, or `@set` for a term-set member.
    pub rule: String,
    /// Where the rule's query starts in its file (default for term sets).
    pub origin: Origin,
    /// What looks wrong and how to fix it.
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(rule: &str, origin: &Origin, query: &str, col: usize, msg: String) -> Self {
        RuleError {
            rule: rule.to_owned(),
            origin: origin.clone(),
            col,
            message: msg,
            query: query.to_owned(),
        }
    }
}

/// `rule `name`` or `term set `@name``.
fn subject(rule: &str) -> String {
    if rule.starts_with('@') {
        format!("term set `{rule}`")
    } else {
        format!("rule `{rule}`")
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Locate the line of the query holding `col`.
        let mut line_idx = 0;
        let mut line_start = 0; // char index where that line starts
        for (i, c) in self.query.chars().enumerate() {
            if i >= self.col {
                break;
            }
            if c == '\n' {
                line_idx += 1;
                line_start = i + 1;
            }
        }
        let in_line = self.col - line_start.min(self.col);
        let path = if self.origin.path.is_empty() {
            "<query>"
        } else {
            self.origin.path.as_str()
        };
        let line = self.origin.line.max(1) + line_idx;
        let col = if line_idx == 0 {
            self.origin.col.max(1) + in_line
        } else {
            in_line + 1
        };
        writeln!(
            f,
            "{path}:{line}:{col}: {}: {}",
            subject(&self.rule),
            self.message
        )?;
        // A long line is shown as a window of about 100 characters around the column.
        let skip = in_line.saturating_sub(60);
        let mut text: String = self
            .query
            .chars()
            .skip(line_start + skip)
            .take_while(|&c| c != '\n')
            .take(101)
            .collect();
        if text.chars().count() > 100 {
            text = text.chars().take(100).collect::<String>() + "…";
        }
        let (text, in_line) = if skip > 0 {
            (format!("…{text}"), in_line - skip + 1)
        } else {
            (text, in_line)
        };
        writeln!(f, "  {text}")?;
        let pad: String = text
            .chars()
            .take(in_line)
            .map(|c| {
                if c == '\t' {
                    "\t"
                } else if super::script::display_width(c) == 2 {
                    "  "
                } else {
                    " "
                }
            })
            .collect();
        write!(f, "  {pad}^")
    }
}

impl std::error::Error for RuleError {}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.origin.path.is_empty() {
            write!(f, "warning: {}: {}", subject(&self.rule), self.message)
        } else {
            write!(
                f,
                "warning: {}:{}:{}: {}: {}",
                self.origin.path,
                self.origin.line.max(1),
                self.origin.col.max(1),
                subject(&self.rule),
                self.message
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            path: "rules.toml".into(),
            line: 7,
            col: 9,
        }
    }

    #[test]
    fn long_lines_are_shown_as_a_window() {
        let q = format!("{}chips AND", "(".repeat(5000));
        let e = RuleError {
            rule: "deep".into(),
            query: q,
            col: 5000,
            message: "m".into(),
            origin: Origin::default(),
        };
        let out = e.to_string();
        assert!(out.len() < 600, "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let caret = lines[2].chars().count() - 1;
        assert_eq!(lines[1].chars().nth(caret), Some('c'), "{out}");
    }

    #[test]
    fn renders_caret() {
        let e = RuleError::new(
            "r1",
            &origin(),
            "export AND",
            7,
            "`AND` needs an operand".into(),
        );
        assert_eq!(
            e.to_string(),
            "rules.toml:7:16: rule `r1`: `AND` needs an operand\n  export AND\n         ^"
        );
        let e = RuleError::new("r", &origin(), "a\n  (b", 4, "unclosed `(`".into());
        assert_eq!(
            e.to_string(),
            "rules.toml:8:3: rule `r`: unclosed `(`\n    (b\n    ^"
        );
        let e = RuleError::new("r", &Origin::default(), "芯片 titel:x", 3, "m".into());
        assert_eq!(
            e.to_string(),
            "<query>:1:4: rule `r`: m\n  芯片 titel:x\n       ^"
        );
    }

    #[test]
    fn renders_warning() {
        let w = Warning {
            rule: "r".into(),
            origin: origin(),
            message: "m".into(),
        };
        assert_eq!(w.to_string(), "warning: rules.toml:7:9: rule `r`: m");
        let w = Warning {
            rule: "@chips".into(),
            origin: Origin::default(),
            message: "m".into(),
        };
        assert_eq!(w.to_string(), "warning: term set `@chips`: m");
    }
}

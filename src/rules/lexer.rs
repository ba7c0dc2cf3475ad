//! Tokeniser of the rule query language: words (`export*`, `=BIS`), phrases,
//! `@set` references, `field:` scopes, parentheses, `-` and the uppercase
//! operators `AND` `OR` `NOT` `NEAR[/n]`. Columns are 0-based char indices.

use super::Field;

/// Largest accepted `NEAR/n` distance.
pub(crate) const MAX_NEAR: u32 = 1000;
/// Distance of a bare `NEAR`.
pub(crate) const DEFAULT_NEAR: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokKind {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `-` prefix (same as `NOT`).
    Minus,
    Near(u32),
    Field(Field),
    /// A word or a `"phrase"` (`phrase` = it was quoted).
    Term {
        text: String,
        prefix: bool,
        exact: bool,
        phrase: bool,
    },
    Set(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tok {
    pub kind: TokKind,
    pub col: usize,
}

/// A lexing problem: (column, message).
pub(crate) type LexError = (usize, String);

fn is_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

/// Split a query into tokens.
pub(crate) fn lex(query: &str) -> Result<Vec<Tok>, LexError> {
    let cs: Vec<char> = query.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut after_field = false;
    while let Some(&c) = cs.get(i) {
        let start = i;
        let next = cs.get(i + 1).copied();
        let field_before = std::mem::take(&mut after_field);
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                TokKind::LParen
            }
            ')' => {
                i += 1;
                TokKind::RParen
            }
            '"' => {
                let (tok, end) = phrase(&cs, i, false)?;
                i = end;
                tok
            }
            '-' if next.is_none_or(|n| n.is_whitespace() || n == ')') => {
                return Err((
                    i,
                    "dangling `-`: put the excluded term right after it".into(),
                ));
            }
            '-' => {
                i += 1;
                TokKind::Minus
            }
            '=' => match next {
                Some('"') => {
                    let (tok, end) = phrase(&cs, i + 1, true)?;
                    i = end;
                    tok
                }
                Some(n) if !is_break(n) && n != '@' && n != '=' => {
                    let (tok, end) = word(&cs, i + 1, true, true)?;
                    i = end;
                    tok
                }
                Some('@') => {
                    return Err((
                        i,
                        "`=` applies to words and phrases, not @sets (mark set members `=X` instead)"
                            .into(),
                    ));
                }
                _ => return Err((i, "dangling `=`: write `=WORD` or `=\"Phrase\"`".into())),
            },
            '@' => {
                let end = (i + 1..cs.len())
                    .find(|&j| cs.get(j).is_none_or(|&c| !is_set_char(c)))
                    .unwrap_or(cs.len());
                if end == i + 1 {
                    return Err((i, "`@` needs a term set name, e.g. `@chips`".into()));
                }
                let name: String = cs.get(i + 1..end).unwrap_or_default().iter().collect();
                i = end;
                TokKind::Set(name)
            }
            _ => {
                let (tok, end) = word(&cs, i, false, field_before)?;
                if matches!(tok, TokKind::Field(_)) {
                    after_field = true;
                    if cs.get(end).is_none_or(|c| c.is_whitespace() || *c == ')') {
                        return Err((
                            start,
                            "a field scope needs a term, phrase, @set or (group) right after the colon"
                                .into(),
                        ));
                    }
                }
                i = end;
                tok
            }
        };
        toks.push(Tok { kind, col: start });
    }
    Ok(toks)
}

fn is_set_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Lex a quoted phrase whose opening quote is at `open`.
fn phrase(cs: &[char], open: usize, exact: bool) -> Result<(TokKind, usize), LexError> {
    let close = (open + 1..cs.len()).find(|&j| cs.get(j) == Some(&'"'));
    let Some(close) = close else {
        return Err((open, "unclosed `\"`".into()));
    };
    let inner: String = cs.get(open + 1..close).unwrap_or_default().iter().collect();
    let mut text = inner.trim();
    let prefix = text.ends_with('*');
    if prefix {
        text = text.trim_end_matches('*').trim_end();
    }
    if text.is_empty() {
        return Err((open, "empty phrase `\"\"`".into()));
    }
    let kind = TokKind::Term {
        text: text.to_owned(),
        prefix,
        exact,
        phrase: true,
    };
    Ok((kind, close + 1))
}

/// Lex a bare word starting at `start`: operator, `field:` scope or term.
fn word(
    cs: &[char],
    start: usize,
    exact: bool,
    no_field: bool,
) -> Result<(TokKind, usize), LexError> {
    let end = (start..cs.len())
        .find(|&j| cs.get(j).is_none_or(|&c| is_break(c)))
        .unwrap_or(cs.len());
    let run: String = cs.get(start..end).unwrap_or_default().iter().collect();
    if !exact {
        match run.as_str() {
            "AND" => return Ok((TokKind::And, end)),
            "OR" => return Ok((TokKind::Or, end)),
            "NOT" => return Ok((TokKind::Not, end)),
            "NEAR" => return Ok((TokKind::Near(DEFAULT_NEAR), end)),
            _ => {}
        }
        if let Some(n) = run.strip_prefix("NEAR/") {
            return match n.parse::<u32>() {
                Ok(0) => Err((start, "`NEAR/0`: the distance must be at least 1".into())),
                Ok(n) if n > MAX_NEAR => Err((
                    start,
                    format!("`NEAR/{n}`: the distance must be at most {MAX_NEAR}"),
                )),
                Ok(n) => Ok((TokKind::Near(n), end)),
                Err(_) => Err((
                    start,
                    "expected a number after `NEAR/`, e.g. `NEAR/5`".into(),
                )),
            };
        }
    }
    if !no_field && let Some(k) = run.find(':') {
        let name = &run[..k];
        let after = run[k + 1..].chars().next();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) && after != Some('/') {
            let lower = name.to_ascii_lowercase();
            let field = Field::ALL.iter().find(|f| f.as_str() == lower);
            let Some(&field) = field else {
                return Err((
                    start,
                    format!(
                        "unknown field `{name}:` (fields are title, summary, content, link, feed; \
                         quote the text to search for it literally)"
                    ),
                ));
            };
            if exact {
                return Err((start, "`=` goes after the field: `title:=BIS`".into()));
            }
            // Continue lexing right after the colon.
            return Ok((TokKind::Field(field), start + name.chars().count() + 1));
        }
    }
    let mut text = run.as_str();
    let prefix = text.ends_with('*');
    if prefix {
        text = &text[..text.len() - 1];
    }
    if text.is_empty() {
        return Err((start, "`*` needs a word before it, e.g. `export*`".into()));
    }
    if let Some(p) = text.chars().position(|c| c == '*') {
        return Err((
            start + p,
            "wildcard `*` is only allowed at the end of a word".into(),
        ));
    }
    let kind = TokKind::Term {
        text: text.to_owned(),
        prefix,
        exact,
        phrase: false,
    };
    Ok((kind, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<TokKind> {
        lex(q)
            .map(|t| t.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    fn term(t: &str, prefix: bool, exact: bool, phrase: bool) -> TokKind {
        TokKind::Term {
            text: t.into(),
            prefix,
            exact,
            phrase,
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("title:(export* OR \"entity list\") -=BIS NEAR/3 @chips"),
            vec![
                TokKind::Field(Field::Title),
                TokKind::LParen,
                term("export", true, false, false),
                TokKind::Or,
                term("entity list", false, false, true),
                TokKind::RParen,
                TokKind::Minus,
                term("BIS", false, true, false),
                TokKind::Near(3),
                TokKind::Set("chips".into()),
            ]
        );
        assert_eq!(
            kinds("link:https://bis.doc.gov and"),
            vec![
                TokKind::Field(Field::Link),
                term("https://bis.doc.gov", false, false, false),
                term("and", false, false, false)
            ]
        );
        assert_eq!(kinds("title:=BIS")[1], term("BIS", false, true, false));
    }

    #[test]
    fn errors() {
        let table = [
            ("titel:x", 0, "unknown field"),
            ("a \"b", 2, "unclosed"),
            ("\"  \"", 0, "empty phrase"),
            ("a NEAR/0 b", 2, "at least 1"),
            ("a NEAR/x b", 2, "expected a number"),
            ("a -", 2, "dangling `-`"),
            ("ex*port", 2, "wildcard"),
            ("@", 0, "term set name"),
            ("title: x", 0, "field scope needs"),
            ("=@chips", 0, "not @sets"),
        ];
        for (q, col, msg) in table {
            match lex(q) {
                Err((c, m)) => assert!(c == col && m.contains(msg), "{q}: got {c} {m}"),
                Ok(t) => unreachable!("{q}: lexed to {t:?}"),
            }
        }
    }
}

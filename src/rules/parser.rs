//! Recursive-descent parser of rule queries into an [`Ast`]. Precedence, from
//! tightest: `NOT`/`-`, `NEAR/n`, `OR`, then `AND` / implicit AND (Google
//! style: `a b OR c` = `a AND (b OR c)`).

use super::Field;
use super::lexer::{LexError, Tok, TokKind, lex};

/// Maximum nesting of groups / negations / scopes.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ast {
    Term {
        text: String,
        exact: bool,
        prefix: bool,
        phrase: bool,
        col: usize,
    },
    Set {
        name: String,
        col: usize,
    },
    Scope {
        field: Field,
        inner: Box<Ast>,
    },
    Not(Box<Ast>),
    And(Vec<Ast>),
    Or(Vec<Ast>),
    Near {
        a: Box<Ast>,
        b: Box<Ast>,
        n: u32,
        col: usize,
    },
    /// A parenthesised group (kept for diagnostics only).
    Group(Box<Ast>),
}

/// A parsed query and the notes (column, message) that become warnings.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub ast: Ast,
    pub notes: Vec<(usize, String)>,
}

/// Parse `query`, or return (column, message) of the first problem.
pub(crate) fn parse(query: &str) -> Result<Parsed, LexError> {
    if query.trim().is_empty() {
        return Err((0, "empty query".into()));
    }
    let toks = lex(query)?;
    let mut p = P {
        toks: &toks,
        pos: 0,
        depth: 0,
        end: query.chars().count(),
        notes: Vec::new(),
    };
    let ast = p.and_expr()?;
    if let Some(t) = p.peek() {
        return Err((t.col, "unmatched `)`".into()));
    }
    for t in &toks {
        if let TokKind::Term {
            text,
            exact: false,
            phrase: false,
            prefix: false,
        } = &t.kind
        {
            if matches!(text.as_str(), "and" | "or" | "not" | "near") {
                let up = text.to_uppercase();
                p.notes.push((
                    t.col,
                    format!("`{text}` is searched as a word; operators are uppercase: `{up}`"),
                ));
            } else if (2..=4).contains(&text.len()) && text.chars().all(|c| c.is_ascii_uppercase())
            {
                p.notes.push((
                    t.col,
                    format!(
                        "`{text}` ignores case and also matches \"{}\"; write `={text}` to match \
                         the acronym only",
                        text.to_lowercase()
                    ),
                ));
            }
        }
    }
    Ok(Parsed {
        ast,
        notes: p.notes,
    })
}

struct P<'a> {
    toks: &'a [Tok],
    pos: usize,
    depth: usize,
    end: usize,
    notes: Vec<(usize, String)>,
}

fn op_name(k: &TokKind) -> &'static str {
    match k {
        TokKind::And => "AND",
        TokKind::Or => "OR",
        TokKind::Near(_) => "NEAR",
        TokKind::Not | TokKind::Minus => "NOT",
        _ => "operator",
    }
}

fn starts_operand(t: Option<&Tok>) -> bool {
    t.is_some_and(|t| {
        matches!(
            t.kind,
            TokKind::Term { .. }
                | TokKind::Set(_)
                | TokKind::Field(_)
                | TokKind::LParen
                | TokKind::Not
                | TokKind::Minus
        )
    })
}

impl P<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn need_right(&self, op: &Tok) -> Result<(), LexError> {
        if starts_operand(self.peek()) {
            Ok(())
        } else {
            Err((
                op.col,
                format!("`{}` needs an operand on its right", op_name(&op.kind)),
            ))
        }
    }

    fn descend(&mut self, col: usize) -> Result<(), LexError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((
                col,
                format!("query nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn and_expr(&mut self) -> Result<Ast, LexError> {
        let mut items = vec![self.or_expr()?];
        let mut explicit = None;
        loop {
            match self.peek() {
                None => break,
                Some(t) if t.kind == TokKind::RParen => break,
                Some(t) if t.kind == TokKind::And => {
                    let t = t.clone();
                    explicit.get_or_insert(t.col);
                    self.pos += 1;
                    self.need_right(&t)?;
                    items.push(self.or_expr()?);
                }
                t if starts_operand(t) => items.push(self.or_expr()?),
                Some(t) => {
                    let msg = format!("`{}` needs an operand on its left", op_name(&t.kind));
                    return Err((t.col, msg));
                }
            }
        }
        if let Some(col) = explicit
            && items.iter().any(|a| matches!(a, Ast::Or(_)))
        {
            self.notes.push((
                col,
                "`AND` binds looser than `OR` here (`a AND b OR c` = `a AND (b OR c)`); \
                 add parentheses to make the grouping explicit"
                    .into(),
            ));
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Ast::And(items)
        })
    }

    fn or_expr(&mut self) -> Result<Ast, LexError> {
        let mut items = vec![self.near_expr()?];
        while let Some(t) = self.peek().filter(|t| t.kind == TokKind::Or).cloned() {
            self.pos += 1;
            self.need_right(&t)?;
            items.push(self.near_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Ast::Or(items)
        })
    }

    fn near_expr(&mut self) -> Result<Ast, LexError> {
        let mut a = self.unary()?;
        while let Some(t) = self
            .peek()
            .filter(|t| matches!(t.kind, TokKind::Near(_)))
            .cloned()
        {
            let TokKind::Near(n) = t.kind else { break };
            self.pos += 1;
            self.need_right(&t)?;
            let b = self.unary()?;
            a = Ast::Near {
                a: Box::new(a),
                b: Box::new(b),
                n,
                col: t.col,
            };
        }
        Ok(a)
    }

    fn unary(&mut self) -> Result<Ast, LexError> {
        match self.peek() {
            Some(t) if matches!(t.kind, TokKind::Not | TokKind::Minus) => {
                let t = t.clone();
                self.pos += 1;
                self.descend(t.col)?;
                self.need_right(&t)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Ast::Not(Box::new(inner)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Ast, LexError> {
        let Some(t) = self.next() else {
            return Err((self.end, "unexpected end of query".into()));
        };
        match t.kind {
            TokKind::Term {
                text,
                exact,
                prefix,
                phrase,
            } => Ok(Ast::Term {
                text,
                exact,
                prefix,
                phrase,
                col: t.col,
            }),
            TokKind::Set(name) => Ok(Ast::Set { name, col: t.col }),
            TokKind::Field(field) => {
                let ok = self.peek().is_some_and(|n| {
                    matches!(
                        n.kind,
                        TokKind::Term { .. } | TokKind::Set(_) | TokKind::LParen
                    )
                });
                if !ok {
                    let msg = format!(
                        "`{}:` needs a term, phrase, @set or (group) right after it \
                         (write `-{0}:x`, not `{0}:-x`)",
                        field.as_str()
                    );
                    return Err((t.col, msg));
                }
                self.descend(t.col)?;
                let inner = self.primary()?;
                self.depth -= 1;
                Ok(Ast::Scope {
                    field,
                    inner: Box::new(inner),
                })
            }
            TokKind::LParen => {
                self.descend(t.col)?;
                if self.peek().is_some_and(|n| n.kind == TokKind::RParen) {
                    return Err((t.col, "empty parentheses `()`".into()));
                }
                let inner = self.and_expr()?;
                if self.next().is_none_or(|n| n.kind != TokKind::RParen) {
                    return Err((t.col, "unclosed `(`".into()));
                }
                self.depth -= 1;
                Ok(Ast::Group(Box::new(inner)))
            }
            TokKind::RParen => Err((t.col, "unmatched `)`".into())),
            k => Err((
                t.col,
                format!("`{}` needs an operand on its left", op_name(&k)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compact rendering of an AST for table tests.
    fn show(a: &Ast) -> String {
        let list = |v: &[Ast], op: &str| {
            let parts: Vec<String> = v.iter().map(show).collect();
            format!("({})", parts.join(op))
        };
        match a {
            Ast::Term {
                text,
                exact,
                prefix,
                phrase,
                ..
            } => format!(
                "{}{}{}{}",
                if *exact { "=" } else { "" },
                if *phrase {
                    format!("\"{text}\"")
                } else {
                    text.clone()
                },
                if *prefix { "*" } else { "" },
                ""
            ),
            Ast::Set { name, .. } => format!("@{name}"),
            Ast::Scope { field, inner } => format!("{}:{}", field.as_str(), show(inner)),
            Ast::Not(x) => format!("-{}", show(x)),
            Ast::And(v) => list(v, " & "),
            Ast::Or(v) => list(v, " | "),
            Ast::Near { a, b, n, .. } => format!("({} ~{n} {})", show(a), show(b)),
            Ast::Group(x) => show(x),
        }
    }

    #[test]
    fn precedence() {
        let table = [
            ("a b OR c", "(a & (b | c))"),
            ("a OR b c", "((a | b) & c)"),
            ("a AND b OR c", "(a & (b | c))"),
            ("(a b) OR c", "((a & b) | c)"),
            ("a OR b NEAR/3 c", "(a | (b ~3 c))"),
            ("NOT a NEAR b", "(-a ~10 b)"),
            ("-a b", "(-a & b)"),
            ("a -(b OR c)", "(a & -(b | c))"),
            (
                "title:(export OR ban) =BIS",
                "(title:(export | ban) & =BIS)",
            ),
            ("\"entity list\" export*", "(\"entity list\" & export*)"),
            ("a and b", "(a & and & b)"),
            ("a NOT b", "(a & -b)"),
        ];
        for (q, want) in table {
            let got = parse(q).map(|p| show(&p.ast));
            assert_eq!(got, Ok(want.to_string()), "query {q}");
        }
    }

    #[test]
    fn errors() {
        let deep = "(".repeat(100) + "a" + &")".repeat(100);
        let table = [
            ("", 0, "empty query"),
            ("   ", 0, "empty query"),
            ("a AND", 2, "`AND` needs an operand on its right"),
            ("AND a", 0, "on its left"),
            ("a OR", 2, "`OR` needs an operand on its right"),
            ("a OR OR b", 2, "on its right"),
            ("(a b", 0, "unclosed `(`"),
            ("a b)", 3, "unmatched `)`"),
            ("a ()", 2, "empty parentheses"),
            ("a NEAR", 2, "`NEAR` needs an operand"),
            ("NEAR a", 0, "on its left"),
            ("NOT", 0, "`NOT` needs an operand"),
            ("title:-x", 0, "right after it"),
            (deep.as_str(), 64, "nested"),
        ];
        for (q, col, msg) in table {
            match parse(q) {
                Err((c, m)) => assert!(c == col && m.contains(msg), "{q}: got {c} {m}"),
                Ok(p) => unreachable!("{q}: parsed to {}", show(&p.ast)),
            }
        }
    }

    #[test]
    fn notes() {
        let p = parse("BIS and export").map(|p| p.notes.len());
        assert_eq!(p, Ok(2));
        assert_eq!(parse("a AND b OR c").map(|p| p.notes.len()), Ok(1));
        assert_eq!(parse("a b OR c =EAR").map(|p| p.notes.len()), Ok(0));
    }
}

//! Counted nouns for messages a person reads: "1 feed", "2 feeds". A leaf, used by `cli`
//! (check-config, import-opml, init) and `app` (the `run --once` summary).

/// `n` with the singular or plural noun: `count(1, "story", "stories")` is "1 story".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(super::count(1, "feed", "feeds"), "1 feed");
        assert_eq!(super::count(0, "feed", "feeds"), "0 feeds");
        assert_eq!(super::count(23, "story", "stories"), "23 stories");
    }
}

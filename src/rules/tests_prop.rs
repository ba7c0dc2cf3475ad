//! Property tests: no input makes the parser, compiler or matcher panic, hit
//! spans are always valid, normalisation is idempotent, simple round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::tests::{compile_one, def, doc, sets};
use super::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000), ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(q in "\\PC{0,40}") {
        let _ = RuleSet::compile(&[def("p", &q)], &sets());
    }

    #[test]
    fn query_language_never_panics(
        q in proptest::collection::vec(
            prop_oneof![
                Just("("), Just(")"), Just("AND"), Just("OR"), Just("NOT"), Just("-"), Just("NEAR"),
                Just("NEAR/2"), Just("title:"), Just("feed:"), Just("link:"), Just("=BIS"), Just("\""),
                Just("@chips"), Just("export*"), Just("chip"), Just("芯片"), Just(" "), Just("=")
            ],
            0..16,
        ).prop_map(|v| v.join(" ")),
        text in "\\PC{0,60}",
    ) {
        if let Ok((rs, _)) = RuleSet::compile(&[def("p", &q)], &sets()) {
            let d = Doc { title: &text, summary: &text, content: "x", link: &text, feed_name: Some(&text), feed_tags: &[] };
            for m in rs.match_doc(&d) {
                for h in m.hits {
                    prop_assert!(h.start <= h.end && h.end <= text.len().max(2 * text.len() + 1));
                }
            }
        }
    }

    #[test]
    fn evaluator_never_panics_and_spans_are_valid(text in "\\PC{0,80}") {
        let rs = compile_one("@chips OR @controls OR e OR \"a b\" OR (x NEAR/2 y) OR title:=A");
        let d = doc(&text, &text);
        for m in rs.match_doc(&d) {
            for h in m.hits {
                prop_assert!(text.get(h.start..h.end).is_some(), "bad span {:?} in {:?}", h, text);
            }
        }
    }

    #[test]
    fn single_word_found_in_any_case(w in "[a-z]{1,8}", pre in "[a-z ]{0,10}", post in "[ .,]{1,3}") {
        let rs = compile_one(&w);
        let title = format!("{pre} {}{post}", w.to_uppercase());
        let m = rs.match_doc(&doc(&title, ""));
        prop_assert_eq!(m.len(), 1);
        let h = &m[0].hits[0];
        prop_assert_eq!(title[h.start..h.end].to_lowercase(), w);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn normalisation_is_idempotent(text in "\\PC{0,40}") {
        let once = normalize::normalize(&text, true);
        prop_assert_eq!(normalize::normalize(&once, true), once.clone());
        let exact = normalize::normalize(&text, false);
        prop_assert_eq!(normalize::normalize(&exact, false), exact);
    }

    #[test]
    fn phrases_and_exact_terms_round_trip(a in "[a-z]{2,8}", b in "[a-z]{2,8}", pre in "[a-z]{1,6}") {
        let rs = compile_one(&format!("\"{a} {b}\""));
        let text = format!("{pre}, {}  {b}!", a.to_uppercase());
        prop_assert_eq!(rs.match_doc(&doc(&text, "")).len(), 1);
        let up = b.to_uppercase();
        let rs = compile_one(&format!("={up}"));
        prop_assert_eq!(rs.match_doc(&doc(&format!("{pre} {up}"), "")).len(), 1);
        prop_assert_eq!(rs.match_doc(&doc(&format!("{pre} {b}"), "")).len(), 0);
    }
}

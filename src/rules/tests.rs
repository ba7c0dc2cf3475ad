//! Table and property tests of the whole engine (query × text → expectation).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

pub(super) fn sets() -> TermSets {
    let mut s = TermSets::new();
    let chips = [
        "semiconductor*",
        "chip",
        "chips",
        "GPU*",
        "H20",
        "H200",
        "芯片",
        "半导体",
        "晶片",
        "半導體",
        "반도체",
        "半導体",
        "halfgeleider*",
        "Halbleiter*",
    ];
    s.insert(
        "chips".into(),
        chips.iter().map(|x| x.to_string()).collect(),
    );
    let ctrl = [
        "export control*",
        "=BIS",
        "entity list",
        "出口管制",
        "輸出規制",
        "수출 통제",
        "exportcontrole*",
    ];
    s.insert(
        "controls".into(),
        ctrl.iter().map(|x| x.to_string()).collect(),
    );
    s.insert("empty".into(), Vec::new());
    s
}

pub(super) fn def(name: &str, query: &str) -> RuleDef {
    RuleDef {
        name: name.into(),
        query: query.into(),
        weight: 1.0,
        min_score: 0.0,
        priority: Priority::Digest,
        feeds: Vec::new(),
        tags: Vec::new(),
        topic: None,
        origin: Origin {
            path: "rules.toml".into(),
            line: 3,
            col: 9,
        },
    }
}

pub(super) fn doc<'a>(title: &'a str, summary: &'a str) -> Doc<'a> {
    Doc {
        title,
        summary,
        content: "",
        link: "",
        feed_name: None,
        feed_tags: &[],
    }
}

pub(super) fn compile_one(query: &str) -> RuleSet {
    match RuleSet::compile(&[def("r", query)], &sets()) {
        Ok((rs, _)) => rs,
        Err(e) => panic!("{query}: {}", e[0]),
    }
}

/// (query, title, summary, expected match)
const MATCH_TABLE: &[(&str, &str, &str, bool)] = &[
    ("export", "US tightens Export rules", "", true),
    ("export", "Exporters rejoice", "", false),
    ("export*", "Exporters rejoice", "", true),
    ("export*", "re-exports", "", true),
    ("export*", "reexports", "", false),
    (
        "\"export controls\"",
        "New EXPORT   controls on chips",
        "",
        true,
    ),
    ("\"export controls\"", "controls on export", "", false),
    ("\"export contr*\"", "export controlling", "", true),
    ("chip", "Chips act", "", false),
    ("@chips", "Chips act", "", true),
    ("=BIS", "BIS adds firms", "", true),
    ("=BIS", "bis repetita", "", false),
    ("=BIS", "Bis", "", false),
    ("=BIS", "ＢＩＳ rule", "", true),
    ("=EAR", "this year", "", false),
    ("=EAR", "an EAR amendment", "", true),
    ("=EAR", "EARS", "", false),
    ("=\"Entity List\"", "added to the Entity List", "", true),
    ("=\"Entity List\"", "added to the entity list", "", false),
    ("nvidia H20", "Nvidia can sell H20 again", "", true),
    ("nvidia H20", "Nvidia can sell H200 again", "", false),
    ("H20", "輝達H20晶片", "", true),
    ("@chips", "美商務部開始核發輝達H20晶片銷陸許可", "", true),
    ("芯片 出口管制", "美國擴大晶片出口管製", "", false),
    ("晶片 出口管制", "美國擴大晶片出口管制", "", true),
    ("半导体", "日本の半導体輸出規制", "", true),
    ("晶片", "日本の半導体輸出規制", "", false),
    ("半導体 @controls", "日本の半導体輸出規制", "", true),
    ("@controls", "반도체 수출 통제 강화", "", true),
    (
        "halfgeleider*",
        "ASML en de halfgeleiderindustrie",
        "",
        true,
    ),
    ("@chips", "Neue Regeln für Halbleiterexporte", "", true),
    ("regles", "Les règles changent", "", true),
    ("résumé", "resume building", "", true),
    ("a b OR c", "a c", "", true),
    ("a b OR c", "b c", "", false),
    ("(a b) OR c", "c", "", true),
    ("export -tariff", "export news", "", true),
    ("export -tariff", "export tariff news", "", false),
    ("export NOT (tariff OR tax)", "export tax", "", false),
    ("export NOT (tariff OR tax)", "export ban", "", true),
    ("export OR -tariff", "nothing here", "", true),
    ("export OR -tariff", "tariff", "", false),
    ("title:export", "chips", "export", false),
    ("title:export", "export", "chips", true),
    ("summary:export chips", "chips", "export", true),
    ("title:(export OR ban) chip", "a ban", "on chip", true),
    ("title:(export OR ban) chip", "a chip", "ban", false),
    ("title:(export summary:ban)", "export", "ban", true),
    ("export NEAR/2 ban", "export ban", "", true),
    ("export NEAR/2 ban", "ban on the export", "", false),
    ("export NEAR/3 ban", "ban on the export", "", true),
    ("export NEAR ban", "export a b c d e f g h i ban", "", true),
    (
        "export NEAR ban",
        "export a b c d e f g h i j k ban",
        "",
        false,
    ),
    ("export NEAR/2 ban", "export x", "ban", false),
    ("出口 NEAR/3 芯片", "出口管制芯片", "", true),
    ("出口 NEAR/2 芯片", "出口管制芯片", "", false),
    ("(export OR import) NEAR/1 @chips", "import chips", "", true),
    (
        "\"entity list\" NEAR/4 huawei",
        "Huawei joins the Entity List",
        "",
        true,
    ),
    ("and", "Trump and Xi", "", true),
    ("AND AND", "", "", false),
];

#[test]
fn match_table() {
    for &(q, title, summary, want) in MATCH_TABLE {
        if q == "AND AND" {
            continue;
        }
        let rs = compile_one(q);
        let got = !rs.match_doc(&doc(title, summary)).is_empty();
        assert_eq!(
            got, want,
            "query {q:?} on title {title:?} summary {summary:?}"
        );
    }
}

#[test]
fn scores_and_hits() {
    let rs = compile_one("@chips export* -tariff");
    let d = doc(
        "Chip exports curbed",
        "new chip rules, more exports; semiconductors",
    );
    let m = rs.match_doc(&d);
    assert_eq!(m.len(), 1);
    // chip: title → 2, export*: title → 2, semiconductor*: summary → 1
    assert_eq!(m[0].score, 5.0);
    let spans: Vec<(Field, &str, &str)> = m[0]
        .hits
        .iter()
        .map(|h| {
            let text = if h.field == Field::Title {
                d.title
            } else {
                d.summary
            };
            (h.field, &*h.term, &text[h.start..h.end])
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            (Field::Title, "chip", "Chip"),
            (Field::Title, "export*", "export"),
            (Field::Summary, "chip", "chip"),
            (Field::Summary, "export*", "export"),
            (Field::Summary, "semiconductor*", "semiconductor"),
        ]
    );
    // Spans point into the original (un-normalised) text.
    let d = doc("ＥＸＰＯＲＴ  Contrôles: 輝達晶片", "");
    let rs = compile_one("export contrôles 辉达");
    let m = rs.match_doc(&d);
    let got: Vec<&str> = m[0].hits.iter().map(|h| &d.title[h.start..h.end]).collect();
    assert_eq!(got, vec!["ＥＸＰＯＲＴ", "Contrôles", "輝達"]);
}

#[test]
fn weight_min_score_feeds() {
    let mut r = def("r", "export ban");
    r.weight = 2.0;
    r.min_score = 5.0;
    let mut feeds = def("f", "export");
    feeds.feeds = vec!["Reuters".into()];
    let mut tags = def("t", "export");
    tags.tags = vec!["policy".into()];
    let (rs, _) = RuleSet::compile(&[r, feeds, tags], &sets()).unwrap();
    let names = |d: &Doc| {
        let mut v: Vec<String> = rs
            .match_doc(d)
            .iter()
            .map(|m| rs.rules()[m.rule].name.clone())
            .collect();
        v.sort();
        v
    };
    assert!(names(&doc("", "export ban")).is_empty()); // score (1 + 1) * 2 < 5, no feed
    assert_eq!(names(&doc("export", "ban")), vec!["r"]); // (2 + 1) * 2 >= 5
    let tagv = vec!["Policy".to_string()];
    let d = Doc {
        feed_name: Some("reuters"),
        feed_tags: &tagv,
        ..doc("export", "ban")
    };
    assert_eq!(names(&d), vec!["f", "r", "t"]); // r: (2 + 1) * 2 = 6
    let d = Doc {
        feed_name: Some("Other"),
        feed_tags: &[],
        ..doc("export", "")
    };
    assert!(names(&d).is_empty());
    let rs = compile_one("(feed:policy export) OR link:bis.doc.gov");
    let d = Doc {
        link: "https://www.bis.doc.gov/index.php",
        ..doc("export", "")
    };
    assert_eq!(rs.match_doc(&d).len(), 1);
    let d = Doc {
        feed_name: Some("x"),
        feed_tags: &tagv,
        ..doc("export", "")
    };
    let m = rs.match_doc(&d);
    assert_eq!(
        (m.len(), m[0].hits[1].field, m[0].hits[1].start),
        (1, Field::Feed, 2)
    );
}

#[test]
fn errors_name_rule_and_column() {
    let table: &[(&str, usize, &str)] = &[
        ("export (ban", 7, "unclosed `(`"),
        ("titel:export", 0, "unknown field"),
        ("export @chipz", 7, "undefined term set `@chipz`"),
        ("\"\" export", 0, "empty phrase"),
        ("a AND", 2, "needs an operand"),
        ("", 0, "empty query"),
        ("a NEAR/0 b", 2, "at least 1"),
        ("-foo", 0, "no positive term"),
        ("NOT (a OR b)", 0, "no positive term"),
        ("(a b) NEAR c", 6, "`NEAR` operands"),
    ];
    for &(q, col, msg) in table {
        let errs = RuleSet::compile(&[def("bad", q)], &sets())
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 1, "{q}");
        let e = &errs[0];
        assert!(
            e.col == col && e.message.contains(msg) && e.rule == "bad",
            "{q}: {e:?}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("rules.toml:3:{}: rule `bad`: ", 9 + col)),
            "{e}"
        );
    }
    // All bad rules are reported, good ones ignored.
    let errs = RuleSet::compile(&[def("a", "(x"), def("b", "ok"), def("c", "y)")], &sets())
        .err()
        .unwrap_or_default();
    assert_eq!(
        errs.iter().map(|e| e.rule.as_str()).collect::<Vec<_>>(),
        vec!["a", "c"]
    );
    let errs = RuleSet::compile(&[def("a", "x"), def("a", "y")], &sets())
        .err()
        .unwrap_or_default();
    assert!(errs[0].message.contains("duplicate"));
}

#[test]
fn warnings() {
    let rules = [
        def("broad", "export @chips"),
        def("narrow", "export ban @chips"),
        def("caps", "BIS rule"),
        def("punct", "export \"--\""),
        def("e", "export @empty"),
    ];
    let (_, w) = RuleSet::compile(&rules, &sets()).unwrap();
    let text: Vec<String> = w.iter().map(ToString::to_string).collect();
    let has = |rule: &str, needle: &str| {
        w.iter()
            .any(|w| w.rule == rule && w.message.contains(needle))
    };
    assert!(has("narrow", "rule `broad`"), "{text:#?}");
    assert!(has("caps", "`=BIS`"), "{text:#?}");
    assert!(has("punct", "no letter or digit"), "{text:#?}");
    assert!(has("@empty", "empty"), "{text:#?}");
    assert!(has("@controls", "not used"), "{text:#?}");
    assert!(!has("broad", "redundant"), "{text:#?}");
    assert!(
        text.iter()
            .any(|t| t.starts_with("warning: rules.toml:3:9: rule `caps`")),
        "{text:#?}"
    );
}

#[test]
fn shared_terms_and_counts() {
    let rules = [
        def("a", "export controls"),
        def("b", "\"export controls\" chip"),
        def("c", "export*"),
    ];
    let (rs, _) = RuleSet::compile(&rules, &sets()).unwrap();
    assert_eq!(rs.term_count(), 5);
    let m = rs.match_doc(&doc("Export controls on chips and chip exports", ""));
    let mut got: Vec<usize> = m.iter().map(|m| m.rule).collect();
    got.sort();
    assert_eq!(got, vec![0, 1, 2]);
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<RuleSet>();
}

/// Large term sets are tested as bitsets and cheap operands are evaluated first: the
/// results must equal those of the same query over a small set and in the written order.
#[test]
fn big_sets_and_operand_order_do_not_change_results() {
    let mut sets = TermSets::new();
    let mut big: Vec<String> = (0..40).map(|i| format!("filler{i}")).collect();
    big.push("china".into());
    sets.insert("big".into(), big);
    sets.insert("small".into(), vec!["china".into()]);
    // Words that hit (through another rule) without being members of @big.
    sets.insert(
        "others".into(),
        (0..15).map(|i| format!("other{i}")).collect(),
    );
    let compile = |q: &str| match RuleSet::compile(&[def("r", q), def("o", "@others")], &sets) {
        Ok((rs, _)) => rs,
        Err(e) => panic!("{q}: {}", e[0]),
    };
    // Enough hit terms (16) that the bitset test is taken over the walk of hit terms.
    let many: String = (0..15).map(|i| format!("other{i} ")).collect();
    let (many_china, many_plain) = (
        format!("{many} china: nvidia approved"),
        format!("{many} nvidia approved"),
    );
    let cases = [
        (many_china.as_str(), "", true),
        (many_plain.as_str(), "china", false),
        ("nvidia sales approved", "", false),
        ("nvidia sales approved", "China", false),
        ("China: nvidia sales approved", "", true),
        ("China filler3 approved much later than nvidia", "", false),
        ("filler7 filler9 china", "nvidia", false),
    ];
    for q in [
        "(nvidia NEAR/3 approved) AND title:@big",
        "(nvidia NEAR/3 approved) AND title:@small",
        "title:@big AND (nvidia NEAR/3 approved)",
    ] {
        let rs = compile(q);
        for (t, s, want) in cases {
            let got = rs.match_doc(&doc(t, s)).iter().any(|m| m.rule == 0);
            assert_eq!(got, want, "{q} on {t:?}/{s:?}");
        }
    }
}

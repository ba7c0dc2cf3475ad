//! Digest rendering: snapshot of HTML and text for a fixed set of stories, and automated checks
//! of every rendered message (well-formed HTML, no external resources or scripts, escaped feed
//! text, size under Gmail's clipping limit, text part present, large digests split in parts).

use crate::util::decoded;
use chipwatch::digest::render::{RenderContext, render};
use chipwatch::model::{DigestItem, FeedProblem, FeedProblemKind, Recipients, StoredHit};
use chrono::TimeZone;

fn cx() -> RenderContext {
    RenderContext {
        profile: "daily".into(),
        from: "chipwatch <cw@example.org>".into(),
        recipients: Recipients {
            to: vec!["analyst@example.org".into()],
            cc: vec![],
            bcc: vec!["hidden@example.org".into()],
        },
        subject_template: "chipwatch {profile}: {stories} stories ({date})".into(),
        tz: chrono_tz::Asia::Shanghai,
        now: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
        feed_problems: vec![
            FeedProblem {
                name: "METI releases".into(),
                url: "https://www.meti.go.jp/feed.xml".into(),
                since: Some(1_795_000_000),
                kind: FeedProblemKind::Failing {
                    error: "HTTP 503".into(),
                },
            },
            FeedProblem {
                name: "Old wire".into(),
                url: "https://old.example/rss".into(),
                since: Some(1_795_100_000),
                kind: FeedProblemKind::Gone {
                    error: "HTTP 410".into(),
                },
            },
            FeedProblem {
                name: "Chip <Daily> & Co".into(),
                url: "https://chips.example/feed?a=1&b=2".into(),
                since: Some(1_795_200_000),
                kind: FeedProblemKind::Silent {
                    usual_secs: Some(6 * 3600),
                },
            },
        ],
        rule_pack_version: Some("2026.11.1".into()),
        config_path: "/etc/chipwatch/chipwatch.toml".into(),
        host: "example.org".into(),
        max_stories: None,
        unsubscribe: Some("mailto:chipwatch-admin@example.org?subject=unsubscribe".into()),
        explain: false,
        topics: topics(),
        alert: false,
    }
}

/// The fixture's topics: the Entity List (an alert rule) first, then China's countermeasures;
/// "China" only supports a match (a context term).
fn topics() -> chipwatch::rules::Topics {
    let r = |n: &str, t: &str, alert| (n.to_string(), Some(t.to_string()), alert);
    chipwatch::rules::Topics::new(
        &[
            r("china-countermeasures", "China's countermeasures", false),
            r("entity-list", "Entity List", true),
            r("us-export-controls", "Export control rules", false),
        ],
        &[],
        ["China".to_string()],
    )
}

fn hit(term: &str, field: &str, text: &str) -> StoredHit {
    let start = text.find(term).unwrap_or(0);
    StoredHit {
        term: term.into(),
        field: field.into(),
        start,
        end: start + term.len(),
    }
}

fn item(id: i64, rule: &str, score: f64, title: &str, summary: &str, terms: &[&str]) -> DigestItem {
    let mut hits = Vec::new();
    for t in terms {
        if title.contains(t) {
            hits.push(hit(t, "title", title));
        }
        if summary.contains(t) {
            hits.push(hit(t, "summary", summary));
        }
    }
    DigestItem {
        story_id: chipwatch::model::StoryId(id),
        rule: rule.into(),
        rules: vec![rule.into()],
        score,
        hits,
        title: title.into(),
        link: Some(format!("https://news.example/{id}")),
        feed_name: "Trade Wire".into(),
        feed_tags: vec![],
        published: Some(1_795_500_000 + id),
        summary: summary.into(),
        content: String::new(),
        also: vec![],
        meta: Vec::new(),
    }
}

fn fixed_items() -> Vec<DigestItem> {
    let mut a = item(
        1,
        "entity-list",
        6.0,
        "Commerce adds 14 Chinese chip firms to the Entity List",
        "The Bureau of Industry and Security said the additions target firms supplying advanced chips to military end users; a licence will be required.",
        &["Entity List", "chip", "licence"],
    );
    a.also = vec![
        ("SCMP Tech".into(), Some("https://scmp.example/a".into())),
        (
            "Reuters".into(),
            Some("https://reuters.example/b?x=1&y=2".into()),
        ),
    ];
    a.rules.push("us-export-controls".into());
    let b = item(
        2,
        "china-countermeasures",
        5.0,
        "中国宣布对镓锗相关物项实施出口管制",
        "商务部和海关总署发布公告，对镓、锗相关物项实施出口管制，自8月1日起正式实施。",
        &["出口管制", "镓"],
    );
    let mut c = item(
        3,
        "entity-list",
        2.0,
        "<script>alert(1)</script> Entity List \"update\"\r\nBcc: victim@example.org",
        "Summary with <b>tags</b> & entities about the Entity List.",
        &["Entity List"],
    );
    c.link = Some("javascript:alert(1)".into());
    vec![a, b, c]
}

fn snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(path.exists() || !ci, "snapshot {name} missing (CI=true)");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() || !path.exists() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "snapshot {name} differs; run with UPDATE_SNAPSHOTS=1 to accept.\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// Checks a rendered HTML part: balanced tags, no scripts or external resources, inline styles only.
fn check_html(html: &str) {
    assert!(
        html.len() < 102_000,
        "HTML part of {} bytes would be clipped by Gmail",
        html.len()
    );
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<img",
        "<link",
        "<iframe",
        "<object",
        "<style",
        "url(",
        "javascript:",
        " src=",
        "@import",
    ] {
        assert!(!lower.contains(bad), "HTML contains {bad:?}");
    }
    let void = ["meta", "br", "hr", "img", "input", "link", "wbr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if void.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if closing {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "mismatched </{name}>"
            );
        } else {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn parts(message: &[u8]) -> (String, String, String) {
    let raw = String::from_utf8_lossy(message).to_string();
    let head = raw.split("\r\n\r\n").next().unwrap_or("").to_string();
    let body = decoded(&raw);
    let html_at = body.find("<!DOCTYPE html>").expect("html part");
    let html_end = body[html_at..]
        .find("</html>")
        .map(|e| html_at + e + 7)
        .expect("html end");
    (
        head,
        body[..html_at].to_string(),
        body[html_at..html_end].to_string(),
    )
}

#[test]
fn fixed_digest_snapshot_and_checks() {
    let rendered = render(&fixed_items(), &cx());
    assert_eq!(rendered.len(), 1);
    let p = &rendered[0];
    assert_eq!(p.story_ids, [1, 3, 2].map(chipwatch::model::StoryId));
    let (head, text, html) = parts(&p.message);
    check_html(&html);
    assert!(
        head.contains("Subject: chipwatch daily: 3 stories (2026-11-28)"),
        "{head}"
    );
    assert!(
        head.contains("Auto-Submitted: auto-generated")
            && head.contains("List-Id:")
            && head.contains("Message-ID: <chipwatch.daily.")
    );
    assert!(head.contains("multipart/alternative"));
    assert!(
        head.contains("List-Unsubscribe: <mailto:chipwatch-admin@example.org?subject=unsubscribe>"),
        "{head}"
    );
    assert!(
        !head.contains("Bcc") && !head.contains("victim"),
        "feed text or bcc must never reach the headers: {head}"
    );
    assert!(!html.contains("<b>tags</b>") && html.contains("&lt;b&gt;tags&lt;/b&gt;"));
    assert!(html.contains("<mark") && text.contains("«Entity List»"));
    assert!(
        text.contains("Also reported by:")
            && html.contains("https://reuters.example/b?x=1&amp;y=2")
    );
    assert!(
        text.contains("Feeds with problems") && text.contains("rule pack 2026.11.1"),
        "{text}"
    );
    assert!(
        html.contains("Chip &lt;Daily&gt; &amp; Co (https://chips.example/feed?a=1&amp;b=2) — silent since 21 Nov, 02:40 CST (usually posts every ~6 h)"),
        "a silent feed is listed, escaped"
    );
    snapshot("digest.txt", &text.replace("\r\n", "\n"));
    snapshot("digest.html", &html);
}

#[test]
fn footer_lists_30_feed_problems_and_counts_the_rest() {
    let mut c = cx();
    c.feed_problems = (0..32)
        .map(|i| FeedProblem {
            name: format!("feed {i:02}"),
            url: format!("https://f.example/{i}"),
            since: Some(1_795_000_000),
            kind: FeedProblemKind::Silent { usual_secs: None },
        })
        .collect();
    let (_, text, html) = parts(&render(&fixed_items(), &c)[0].message);
    check_html(&html);
    for part in [&text, &html] {
        assert_eq!(part.matches("silent since").count(), 30, "{part}");
        assert!(part.contains("feed 29") && !part.contains("feed 30"));
        assert!(part.contains("…and 2 more"), "{part}");
        assert!(part.contains("(usual posting rate unknown)"));
    }
}

#[test]
fn large_digests_split_into_parts_under_the_clip_limit() {
    let long = "The Bureau of Industry and Security said export controls ".repeat(20);
    let items: Vec<DigestItem> = (0..600)
        .map(|i| {
            item(
                i,
                if i % 2 == 0 { "a" } else { "b" },
                (i % 7) as f64,
                &format!("Story {i} about export controls"),
                &long,
                &["export controls"],
            )
        })
        .collect();
    let rendered = render(&items, &cx());
    assert!(rendered.len() > 2, "600 stories should need several parts");
    let mut all: Vec<i64> = rendered
        .iter()
        .flat_map(|p| p.story_ids.iter().map(|s| s.0))
        .collect();
    all.sort();
    assert_eq!(
        all,
        (0..600).collect::<Vec<_>>(),
        "every story in exactly one part"
    );
    let n = rendered.len();
    for (k, p) in rendered.iter().enumerate() {
        assert!(
            p.subject.ends_with(&format!("({}/{n})", k + 1)),
            "{}",
            p.subject
        );
        let (_, text, html) = parts(&p.message);
        check_html(&html);
        assert!(text.contains("* Story "));
    }
    let ids: std::collections::HashSet<&String> = rendered.iter().map(|p| &p.message_id).collect();
    assert_eq!(ids.len(), n, "distinct Message-IDs per part");
}

#[test]
fn a_10kb_title_cannot_break_layout() {
    let title = "Entity List ".repeat(900);
    let rendered = render(&[item(9, "r", 1.0, &title, "x", &["Entity List"])], &cx());
    let (head, text, html) = parts(&rendered[0].message);
    check_html(&html);
    assert!(
        head.lines().all(|l| l.len() < 1000),
        "header lines stay short"
    );
    assert!(
        text.lines().all(|l| l.chars().count() < 400),
        "text lines stay bounded"
    );
}

#[test]
fn max_stories_shows_the_best_and_counts_the_rest_by_rule() {
    let mut c = cx();
    c.max_stories = Some(1);
    let items = vec![
        item(
            1,
            "a<b",
            9.0,
            "Top story on export controls",
            "export controls",
            &["export controls"],
        ),
        item(
            2,
            "a<b",
            3.0,
            "Second story on export controls",
            "export controls",
            &["export controls"],
        ),
        item(
            3,
            "zz",
            2.0,
            "Third story on export controls",
            "export controls",
            &["export controls"],
        ),
    ];
    let (_, text, html) = parts(&render(&items, &c)[0].message);
    check_html(&html);
    assert!(text.contains("Top story") && !text.contains("Second story"));
    assert!(
        text.contains("…and 2 more (1 a<b, 1 zz) not shown because of max_stories."),
        "{text}"
    );
    assert!(
        html.contains("…and 2 more (1 a&lt;b, 1 zz) not shown because of max_stories."),
        "{html}"
    );
}

#[test]
fn a_one_story_digest_says_1_story_and_user_subjects_keep_working() {
    let one = vec![fixed_items().remove(0)];
    let (head, _, _) = parts(&render(&one, &cx())[0].message);
    assert!(
        head.contains("Subject: chipwatch daily: 1 story (2026-11-28)"),
        "{head}"
    );
    let mut custom = cx();
    custom.subject_template = "[{profile}] {stories} new, {topics} topics".into();
    let (head, _, _) = parts(&render(&fixed_items(), &custom)[0].message);
    assert!(head.contains("Subject: [daily] 3 new, "), "{head}");
}

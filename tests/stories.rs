//! Near-duplicate stories end to end (real HTTP server, real SQLite, file transport): the same
//! news from several outlets under different links is one story in the digest with every
//! outlet's link under "also reported by"; a same-template but different event stays apart;
//! a later syndicated copy of a merged link follows its story; a feed that edits a title
//! (and its slug link) does not make a new story, and nothing is delivered twice.

use crate::common::http::FeedServer;
use crate::util::{Env, decoded, n};

struct Item<'a> {
    guid: Option<&'a str>,
    title: &'a str,
    link: &'a str,
    summary: &'a str,
    date: &'a str,
}

fn rss(items: &[Item]) -> String {
    let mut s = String::from(
        "<rss version=\"2.0\"><channel><title>t</title><link>https://t.example/</link>",
    );
    for i in items {
        s.push_str("<item>");
        if let Some(g) = i.guid {
            s.push_str(&format!("<guid isPermaLink=\"false\">{g}</guid>"));
        }
        s.push_str(&format!(
            "<title>{}</title><link>{}</link><description>{}</description><pubDate>{}</pubDate></item>",
            i.title, i.link, i.summary, i.date
        ));
    }
    s + "</channel></rss>"
}

const MON: &str = "Mon, 23 Nov 2026 14:05:00 +0000";
const MON_LATER: &str = "Mon, 23 Nov 2026 15:10:00 +0000";
const FRI: &str = "Fri, 27 Nov 2026 09:00:00 +0000";

const FIVE_FIRMS: &str = "The Commerce Department added five Chinese companies, including lithography supplier \
    Shanghai Lumen Optics and Hefei Qixin Semiconductor, to the Entity List on Monday, citing support for \
    military modernisation.";

fn config(server: &FeedServer) -> String {
    let mut c = String::from("[feeds]\nbackfill = \"all\"\n[mail]\ntransport = \"file\"\n");
    for (path, name) in [
        ("/reuters.rss", "Reuters"),
        ("/scmp.rss", "SCMP"),
        ("/blog.rss", "Chip Blog"),
        ("/late.rss", "Late Wire"),
    ] {
        c.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\nname = \"{name}\"\n",
            server.url(path)
        ));
    }
    c + "[[rule]]\nname = \"entity-list\"\nquery = '\"Entity List\" OR blacklist*'\n"
}

fn links_in(message: &str, link: &str) -> usize {
    decoded(message)
        .split("<!DOCTYPE html>")
        .next()
        .unwrap_or("")
        .matches(link)
        .count()
}

#[test]
fn near_duplicate_titles_are_one_story_and_edits_are_not_new() {
    let server = FeedServer::start();
    let reuters = "https://www.reuters.example/world/us-adds-5-chinese-firms-entity-list";
    let scmp = "https://www.scmp.example/tech/article/3312/us-blacklists-five-chinese-chip-firms";
    let friday = "https://www.reuters.example/world/us-adds-7-chinese-firms-entity-list";
    server.set_feed(
        "/reuters.rss",
        rss(&[
            Item { guid: Some("r1"), title: "US adds 5 Chinese firms to Entity List over military chip work", link: reuters, summary: FIVE_FIRMS, date: MON },
            Item { guid: Some("r2"), title: "US adds 7 Chinese firms to Entity List over military chip work", link: friday,
                summary: "Seven more companies, among them Wuxi Photonic Tools, were added to the Entity List on Friday.", date: FRI },
        ]),
        "application/rss+xml",
    );
    server.set_feed(
        "/scmp.rss",
        rss(&[Item { guid: Some("s1"), title: "UPDATE 1-US adds five Chinese firms to Entity List over military chip work - SCMP",
            link: scmp, summary: FIVE_FIRMS, date: MON_LATER }]),
        "application/rss+xml",
    );
    // A blog without GUIDs whose slug follows its title.
    let blog_v1 = "https://chip.example/2026/11/23/commerce-blacklists-drone-makers";
    let blog_body = "Washington put Shenzhen Skyward Aero, Zhuhai Kite Robotics and a flight-controller \
        supplier on its trade blacklist after a year-long review of component sourcing; exporters \
        now need a licence for every shipment, and lawyers expect most requests to be denied.";
    server.set_feed(
        "/blog.rss",
        rss(&[Item {
            guid: None,
            title: "Commerce blacklists 3 Chinese drone makers",
            link: blog_v1,
            summary: blog_body,
            date: MON_LATER,
        }]),
        "application/rss+xml",
    );
    server.set_feed("/late.rss", rss(&[]), "application/rss+xml");
    let env = Env::new();
    env.write("c.toml", &config(&server));

    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!((n(&s, "matches_new"), n(&s, "digests_sent")), (4, 1), "{s}");
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let text = decoded(&msgs[0]);
    // Monday's news from Reuters and SCMP is one story; Friday's (7 firms) is another; the
    // blog's post is about other firms.
    assert!(text.contains("3 stories"), "{text}");
    for link in [reuters, scmp, friday, blog_v1] {
        assert_eq!(
            links_in(&msgs[0], link),
            1,
            "{link} once in the text part:\n{text}"
        );
    }
    assert!(text.contains("Also reported by"), "{text}");

    // Later: a third outlet carries SCMP's link (syndicated, tracking parameters), and the blog
    // corrects its title and slug (3 → 4 makers: titles with different counts are otherwise
    // different events). Neither is a new story; nothing new is sent.
    server.set_feed(
        "/late.rss",
        rss(&[Item {
            guid: Some("l1"),
            title: "US adds five Chinese firms to Entity List",
            link: &format!("{scmp}?utm_source=late&amp;utm_medium=rss"),
            summary: FIVE_FIRMS,
            date: MON_LATER,
        }]),
        "application/rss+xml",
    );
    server.set_feed(
        "/blog.rss",
        rss(&[Item {
            guid: None,
            title: "Correction: Commerce blacklists 4 Chinese drone makers",
            link: "https://chip.example/2026/11/23/commerce-blacklists-4-drone-makers",
            summary: blog_body,
            date: MON_LATER,
        }]),
        "application/rss+xml",
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "entries_new"), 2, "{s}");
    assert_eq!(
        n(&s, "digests_created"),
        0,
        "joined stories already delivered: {s}"
    );
    assert_eq!(env.emls("chipwatch-state/outbox").len(), 1);

    let db = rusqlite::Connection::open(env.path().join("chipwatch-state/chipwatch.db")).unwrap();
    let stories: i64 = db
        .query_row("SELECT COUNT(DISTINCT story_id) FROM entries", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stories, 3, "6 entries, 3 stories");
    let same = |a: &str, b: &str| -> bool {
        db.query_row(
            "SELECT (SELECT story_id FROM entries WHERE link LIKE ?1 || '%') = (SELECT story_id FROM entries WHERE link LIKE ?2 || '%')",
            [a, b],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(same(reuters, scmp));
    assert!(!same(scmp, "https://chip.example/"));
    assert!(same(
        blog_v1,
        "https://chip.example/2026/11/23/commerce-blacklists-4"
    ));
    assert!(!same(reuters, friday));
}

#[test]
fn a_story_does_not_creep_across_weeks() {
    // The same headline every 60 hours: each is within the 72-hour window of the previous one,
    // but a story spans one event, so the third report starts a new story.
    let server = FeedServer::start();
    let item = |guid: &'static str, date: &'static str| Item {
        guid: Some(guid),
        title: "Nvidia H20 sales to China stall as Entity List bites",
        link: match guid {
            "1" => "https://a.example/1",
            "2" => "https://a.example/2",
            _ => "https://a.example/3",
        },
        summary: "Distributors said orders had dried up.",
        date,
    };
    server.set_feed(
        "/reuters.rss",
        rss(&[
            item("3", "Sat, 28 Nov 2026 00:00:00 +0000"),
            item("2", "Wed, 25 Nov 2026 12:00:00 +0000"),
            item("1", "Mon, 23 Nov 2026 00:00:00 +0000"),
        ]),
        "application/rss+xml",
    );
    for p in ["/scmp.rss", "/blog.rss", "/late.rss"] {
        server.set_feed(p, rss(&[]), "application/rss+xml");
    }
    let env = Env::new();
    env.write("c.toml", &config(&server));
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "matches_new"), 3, "{s}");
    let db = rusqlite::Connection::open(env.path().join("chipwatch-state/chipwatch.db")).unwrap();
    let stories: Vec<i64> = db
        .prepare("SELECT story_id FROM entries ORDER BY published_at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    // Which pair joins depends on the order the reports arrive; either way two stories, and
    // the reports 120 hours apart are never one.
    let distinct: std::collections::BTreeSet<i64> = stories.iter().copied().collect();
    assert_eq!(distinct.len(), 2, "{stories:?}");
    assert_ne!(stories[0], stories[2], "{stories:?}");
}

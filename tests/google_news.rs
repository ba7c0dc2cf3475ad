//! Google News search feeds: the publisher named by `<source>` is the outlet (byline, "also
//! reported by"), the ` - Publisher` title suffix is stripped for clustering only, and the
//! Google News copy joins the publisher's own story when both feeds are watched.

use crate::common::http::FeedServer;
use crate::util::Env;

const GNEWS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>"export controls" - Google News</title><link>https://news.google.com/search?q=export+controls</link>
<item><title>US tightens export controls on advanced AI chips to China - Reuters</title><link>https://news.google.com/rss/articles/CBMiAAA?oc=5</link><guid isPermaLink="false">CBMiAAA</guid><pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate><description>US tightens export controls on advanced AI chips to China Reuters</description><source url="https://www.reuters.com">Reuters</source></item>
<item><title>Japan adds chipmaking tools to export controls list - Nikkei Asia</title><link>https://news.google.com/rss/articles/CBMiBBB?oc=5</link><guid isPermaLink="false">CBMiBBB</guid><pubDate>Tue, 24 Nov 2026 07:00:00 GMT</pubDate><description>Japan adds chipmaking tools to export controls list Nikkei Asia</description><source url="https://asia.nikkei.com">Nikkei Asia</source></item>
</channel></rss>"#;

const REUTERS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Reuters Technology</title><link>https://www.reuters.com/technology/</link>
<item><title>US tightens export controls on advanced AI chips to China</title><link>https://www.reuters.com/technology/us-tightens-export-controls-2026-11-24/</link><guid>reuters-1</guid><pubDate>Tue, 24 Nov 2026 07:55:00 GMT</pubDate><description>The US Commerce Department tightened export controls on advanced AI chips to China on Tuesday.</description></item>
</channel></rss>"#;

#[test]
fn publisher_is_the_outlet_and_the_copy_joins_its_story() {
    let server = FeedServer::start();
    server.set_feed("/gnews.rss", GNEWS, "application/rss+xml");
    server.set_feed("/reuters.rss", REUTERS, "application/rss+xml");
    let env = Env::new();
    let c = format!(
        "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\nname = \"Reuters\"\n[[feed]]\nurl = \"{}\"\nname = \"GN export controls\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n",
        server.url("/reuters.rss"),
        server.url("/gnews.rss"),
    );
    env.write("c.toml", &c);
    let _ = env.once("c.toml", &[]);
    let out = env.run("c.toml", &["digest", "preview", "--text"]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Two stories: Reuters' (with the Google News copy folded in) and Nikkei's.
    let stories: Vec<&str> = text.lines().filter(|l| l.starts_with("* ")).collect();
    assert_eq!(stories.len(), 2, "{text}");
    // Nikkei's item is bylined with the publisher, not the Google News feed, title as served.
    assert!(
        text.contains("* Japan adds chipmaking tools to export controls list - Nikkei Asia"),
        "{text}"
    );
    assert!(text.contains("  Nikkei Asia · "), "{text}");
    assert!(!text.contains("GN export controls ·"), "{text}");
    // The inspect view shows titles as served.
    let inspect = env.run(
        "",
        &["feeds", "inspect", &server.url("/gnews.rss"), "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("inspect json");
    assert_eq!(
        v["entries"][0]["title"],
        "US tightens export controls on advanced AI chips to China - Reuters"
    );
}

//! Crash safety: `run --once --digest-now` is SIGKILLed at random points, 50 times, against a
//! loopback workload (40 feeds × ~20 items, some relevant, some syndicated across feeds) that
//! keeps changing, then one or two clean runs. Afterwards the database must be intact, hold each
//! served (feed, item) exactly once, every relevant story must have been mailed, and no story may
//! have been mailed in two different digests. The same digest (same Message-ID) arriving twice is
//! the documented window (crash between the server's acceptance and the local commit); it is
//! allowed, counted and printed.
//!
//! Reproducible: the kill delays and feed changes come from a xorshift PRNG seeded per iteration.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::common::http::FeedServer;
use crate::common::smtp::{SmtpServer, smtp_toml};
use crate::util::{Env, decoded};

const FEEDS: usize = 40;
const ITEMS_PER_FEED: usize = 20;
const ITERATIONS: u64 = 50;
/// After every `CLEAN_EVERY`-th iteration an extra run is allowed to finish.
const CLEAN_EVERY: u64 = 5;

/// xorshift64*: small, deterministic, good enough to pick delays and feeds.
struct Rng(u64);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        // splitmix64 step so that small consecutive seeds give unrelated streams (never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Item {
    guid: String,
    title: String,
    /// As served (syndicated copies carry `?utm_source=x`).
    link: String,
    desc: String,
    minute: u64,
}

/// The feeds as currently served, plus what the checks need to know about them.
struct Workload {
    feeds: Vec<Vec<Item>>,
    next_story: u64,
    /// Canonical links of relevant stories served so far.
    relevant: BTreeSet<String>,
}

const SUBJECTS: &[&str] = &[
    "Commerce",
    "Washington",
    "The Hague",
    "Tokyo",
    "Regulators",
    "Lawmakers",
];
const OBJECTS: &[&str] = &[
    "lithography tools",
    "memory makers",
    "AI accelerators",
    "wafer suppliers",
    "packaging plants",
    "design software",
];
const FILLER: &[&str] = &[
    "bakery opens",
    "football results",
    "weather turns cold",
    "museum reopens",
    "train timetable changes",
    "city council meets",
];

impl Workload {
    fn new() -> Workload {
        let mut w = Workload {
            feeds: (0..FEEDS).map(|_| Vec::new()).collect(),
            next_story: 1,
            relevant: BTreeSet::new(),
        };
        for _ in 0..ITEMS_PER_FEED {
            for f in 0..FEEDS {
                w.add_story(f);
            }
        }
        w
    }

    fn canonical(n: u64) -> String {
        format!("https://news.example/story/s{n}.html")
    }

    /// Adds story number `next_story` to feed `f`: every 7th is relevant to rule `ec`, every 5th
    /// is also syndicated to the next feed (own GUID, same link + `?utm_source=x`). Titles carry
    /// the story number only, so distinct stories never look like near-duplicates.
    fn add_story(&mut self, f: usize) {
        let n = self.next_story;
        self.next_story += 1;
        let relevant = n.is_multiple_of(7);
        let (title, desc) = if relevant {
            let subject = SUBJECTS[(n as usize / 7) % SUBJECTS.len()];
            let object = OBJECTS[(n as usize / 3) % OBJECTS.len()];
            if n.is_multiple_of(2) {
                (
                    format!("{subject} tightens export controls on {object}, notice {n}"),
                    format!("The export controls notice {n} takes effect at once."),
                )
            } else {
                (
                    format!("{subject} adds {object} to the Entity List, notice {n}"),
                    format!("Notice {n} names several firms."),
                )
            }
        } else {
            let what = FILLER[(n as usize) % FILLER.len()];
            (
                format!("Local news: {what}, report {n}"),
                format!("Nothing about trade in report {n}."),
            )
        };
        let link = Self::canonical(n);
        if relevant {
            self.relevant.insert(link.clone());
        }
        self.feeds[f].push(Item {
            guid: format!("g{n}"),
            title: title.clone(),
            link: link.clone(),
            desc: desc.clone(),
            minute: n,
        });
        if n.is_multiple_of(5) {
            self.feeds[(f + 1) % FEEDS].push(Item {
                guid: format!("copy-{n}"),
                title,
                link: format!("{link}?utm_source=x"),
                desc,
                minute: n,
            });
        }
    }

    fn path(f: usize) -> String {
        format!("/f{f}.rss")
    }

    fn rss(&self, f: usize) -> String {
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Feed {f}</title><link>https://feed{f}.example/</link>"
        );
        // Newest first, as feeds usually are.
        for it in self.feeds[f].iter().rev() {
            let m = it.minute % (24 * 60);
            s.push_str(&format!(
                "<item><guid isPermaLink=\"false\">{}</guid><title>{}</title><link>{}</link><description>{}</description><pubDate>Tue, 24 Nov 2026 {:02}:{:02}:00 +0000</pubDate></item>",
                it.guid,
                it.title,
                it.link.replace('&', "&amp;"),
                it.desc,
                m / 60,
                m % 60
            ));
        }
        s.push_str("</channel></rss>");
        s
    }

    fn publish(&self, server: &FeedServer, f: usize) {
        server.set_feed(&Self::path(f), self.rss(f), "application/rss+xml");
    }

    fn publish_all(&self, server: &FeedServer) {
        for f in 0..FEEDS {
            self.publish(server, f);
        }
    }

    /// A few feeds gain 1–3 new stories each (feeds only grow, so everything ever served is
    /// still served at the end and must be stored).
    fn churn(&mut self, server: &FeedServer, rng: &mut Rng) {
        let mut touched = BTreeSet::new();
        for _ in 0..3 {
            let f = rng.below(FEEDS as u64) as usize;
            for _ in 0..=rng.below(3) {
                self.add_story(f);
            }
            touched.insert(f);
            touched.insert((f + 1) % FEEDS); // may have received a syndicated copy
        }
        for f in touched {
            self.publish(server, f);
        }
    }

    /// (feed URL, GUID) of everything served.
    fn served(&self, server: &FeedServer) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (f, items) in self.feeds.iter().enumerate() {
            let url = server.url(&Self::path(f));
            for it in items {
                out.insert((url.clone(), it.guid.clone()));
            }
        }
        out
    }
}

fn config(server: &FeedServer, smtp_port: u16) -> String {
    let mut c = format!(
        r#"
[feeds]
backfill = "all"
[http]
per_host_concurrency = 8
{smtp}
[[rule]]
name = "ec"
query = '"export controls" OR "Entity List"'
[[digest]]
name = "crash"
to = ["a@test.example"]
schedule = "daily at 08:00"
"#,
        smtp = smtp_toml(smtp_port)
    );
    for f in 0..FEEDS {
        c.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\nname = \"Feed {f}\"\n",
            server.url(&Workload::path(f))
        ));
    }
    c
}

fn spawn(env: &Env, config: &str) -> Child {
    let log = std::fs::File::create(env.path().join("last-run.log")).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_chipwatch"))
        .current_dir(env.path())
        .env_remove("STATE_DIRECTORY")
        .env_remove("CHIPWATCH_CONFIG")
        .env("RUST_LOG", "warn")
        .arg("--config")
        .arg(env.path().join(config))
        .args(["run", "--once", "--digest-now"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn chipwatch")
}

fn last_log(env: &Env) -> String {
    std::fs::read_to_string(env.path().join("last-run.log")).unwrap_or_default()
}

/// Runs to completion; panics (with the log) unless it exits 0. Returns the wall time.
fn clean_run(env: &Env, config: &str, what: &str) -> Duration {
    let t = Instant::now();
    let status = spawn(env, config).wait().expect("wait chipwatch");
    let took = t.elapsed();
    assert!(
        status.success(),
        "{what}: chipwatch exited with {status}; log:\n{}",
        last_log(env)
    );
    took
}

/// Spawns, sleeps `delay`, SIGKILLs unless it already finished; always reaps the child.
/// Returns the exit status and whether the kill hit a running process.
fn run_and_kill(env: &Env, config: &str, delay: Duration) -> (ExitStatus, bool) {
    let mut child = spawn(env, config);
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().expect("try_wait") {
        return (status, false);
    }
    child.kill().expect("SIGKILL chipwatch"); // SIGKILL on Unix
    (child.wait().expect("wait chipwatch"), true)
}

/// The `Message-ID:` header of a raw message (folded continuation lines joined).
fn message_id(raw: &str) -> String {
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.split("\r\n");
    while let Some(line) = lines.next() {
        if let Some(value) = line
            .get(..11)
            .filter(|name| name.eq_ignore_ascii_case("message-id:"))
            .and_then(|_| line.get(11..))
        {
            let mut v = value.trim().to_string();
            for cont in lines.by_ref() {
                if cont.starts_with([' ', '\t']) {
                    v.push_str(cont.trim());
                } else {
                    break;
                }
            }
            return v;
        }
    }
    panic!("message without Message-ID:\n{head}");
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_sends_nothing_twice() {
    let started = Instant::now();
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    let mut work = Workload::new();
    work.publish_all(&server);

    // A typical cold run (ingesting everything), measured on a scratch state directory with its
    // own SMTP server so that its digest does not count.
    let cold = {
        let scratch_smtp = SmtpServer::start();
        let scratch = Env::new();
        scratch.write("c.toml", &config(&server, scratch_smtp.port()));
        clean_run(&scratch, "c.toml", "timing run (cold)")
    };

    let env = Env::new();
    env.write("c.toml", &config(&server, smtp.port()));

    // `typical` = how long the last clean run in this state directory took; kill delays are drawn
    // from [0, 1.25 × typical] so that most kills land mid-run and a few runs just finish.
    let mut typical = cold;
    let (mut kills, mut mid_run, mut finished, mut clean) = (0, 0, 0, 0);
    for i in 0..ITERATIONS {
        let mut rng = Rng::seeded(i);
        work.churn(&server, &mut rng);
        let bound = typical.as_micros() as u64 * 5 / 4;
        let delay = Duration::from_micros(rng.below(bound + 1));
        let before = smtp.messages().len();
        let (status, hit) = run_and_kill(&env, "c.toml", delay);
        // Shown when the test fails (stdout is captured otherwise): which kill did what.
        println!(
            "iteration {i}: delay {delay:?} of ≤{bound}µs, {}, messages received {before} → {}",
            if hit {
                "killed mid-run"
            } else {
                "had finished"
            },
            smtp.messages().len()
        );
        kills += 1;
        if hit {
            mid_run += 1;
        } else {
            assert!(
                status.success(),
                "iteration {i} (seed {i}, delay {delay:?}): run finished before the kill but exited with {status}; log:\n{}",
                last_log(&env)
            );
            finished += 1;
        }
        if i % CLEAN_EVERY == CLEAN_EVERY - 1 {
            // Between some iterations a run completes normally (after a churn, so it has work).
            work.churn(&server, &mut rng);
            typical = clean_run(&env, "c.toml", &format!("clean run after iteration {i}"));
            clean += 1;
        }
    }

    // Recovery: a clean run picks up whatever the kills interrupted.
    clean_run(&env, "c.toml", "recovery run 1");
    let db_path = env.path().join("chipwatch-state/chipwatch.db");
    {
        // A digest whose send attempt failed gets `next_attempt_at` = now + retry backoff (≥ 1 min)
        // and is skipped until then. SIGKILL itself never marks an attempt failed, but an
        // interrupted SMTP conversation could make one; stand in for waiting out the backoff by
        // making every pending digest due now, then run once more so it is sent.
        let db = rusqlite::Connection::open(&db_path).expect("open db");
        db.execute(
            "UPDATE digests SET next_attempt_at = 0 WHERE status = 'pending'",
            [],
        )
        .expect("make pending digests due");
    }
    clean_run(&env, "c.toml", "recovery run 2");

    // --- database checks -------------------------------------------------------------------
    let db = rusqlite::Connection::open(&db_path).expect("open db");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok", "PRAGMA integrity_check");

    let served = work.served(&server);
    let mut stored: Vec<(String, String)> = db
        .prepare("SELECT f.url, e.key FROM entries e JOIN feeds f ON f.id = e.feed_id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query entries")
        .collect::<Result<_, _>>()
        .expect("read entries");
    stored.sort();
    let stored_set: BTreeSet<(String, String)> = stored.iter().cloned().collect();
    assert_eq!(
        stored.len(),
        stored_set.len(),
        "duplicate (feed, key) entries"
    );
    let missing: Vec<_> = served.difference(&stored_set).take(10).collect();
    let extra: Vec<_> = stored_set.difference(&served).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "entries: served {} (feed, guid) pairs, stored {}; missing (first 10): {missing:?}; unexpected (first 10): {extra:?}",
        served.len(),
        stored.len()
    );

    let pending: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM digests WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .expect("count pending");
    let dead: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM digests WHERE status = 'dead'",
            [],
            |r| r.get(0),
        )
        .expect("count dead");
    assert_eq!(
        (pending, dead),
        (0, 0),
        "digests left pending / dead at the end"
    );

    // --- mail checks -----------------------------------------------------------------------
    let msgs = smtp.messages();
    let mut by_id: BTreeMap<String, (usize, String)> = BTreeMap::new(); // id -> (times received, decoded)
    for m in &msgs {
        assert_eq!(m.to, vec!["a@test.example".to_string()]);
        let raw = m.text();
        let e = by_id
            .entry(message_id(&raw))
            .or_insert_with(|| (0, decoded(&raw)));
        e.0 += 1;
    }
    let resends: usize = by_id.values().map(|(k, _)| k - 1).sum();

    let mut undelivered = Vec::new();
    let mut twice: HashMap<&str, Vec<&str>> = HashMap::new();
    for link in &work.relevant {
        let ids: Vec<&str> = by_id
            .iter()
            .filter(|(_, (_, body))| body.contains(link.as_str()))
            .map(|(id, _)| id.as_str())
            .collect();
        match ids.len() {
            0 => undelivered.push(link.as_str()),
            1 => {}
            _ => {
                twice.insert(link.as_str(), ids);
            }
        }
    }

    println!(
        "crash: {ITERATIONS} iterations in {:.1}s (cold run {cold:?}, last clean run {typical:?}): {kills} kills, {mid_run} hit a running process, {finished} runs finished before their kill, {clean} clean runs in between; {} messages received, {} distinct Message-IDs, {resends} same-Message-ID resends (documented window); {} entries, {} relevant stories",
        started.elapsed().as_secs_f64(),
        msgs.len(),
        by_id.len(),
        stored.len(),
        work.relevant.len()
    );
    assert!(
        undelivered.is_empty(),
        "{} of {} relevant stories were never mailed, e.g. {:?}",
        undelivered.len(),
        work.relevant.len(),
        &undelivered[..undelivered.len().min(10)]
    );
    assert!(
        twice.is_empty(),
        "{} stories were mailed in digests with different Message-IDs, e.g. {:?}",
        twice.len(),
        twice.iter().take(5).collect::<Vec<_>>()
    );
    assert!(mid_run > 0, "no kill hit a running process");
}

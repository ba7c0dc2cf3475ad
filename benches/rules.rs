//! Benchmark of the keyword-rule engine (`cargo bench --bench rules`, harness =
//! false): matching throughput in MB/s (normalisation included) with 5 and with
//! 500 rules, and compile time of 500 rules. Documents are the crudely
//! tag-stripped items of the feed corpus (`../shared/corpus/feeds/**`, or
//! `$CHIPWATCH_CORPUS`) plus deterministic synthetic English/Chinese news;
//! rules are the pack `config/rules/semiconductor-export.toml` (or
//! `$CHIPWATCH_RULE_PACK`) topped up with deterministic generated rules.
//!
//! The synthetic news stands in for on-topic items, which the corpus (feed
//! parser fixtures) has few of. It used to draw *every* word from the topic
//! vocabularies below, almost all of which are pack terms (and the Chinese ones
//! also generated-rule terms): some 40 hits per 100 words, far denser than
//! real on-topic news, so it inflated the per-hit work (spans, rule
//! evaluation) of the 500-rule side. Now about one word in eight is topical,
//! the rest filler prose; the figures print the hit density of both parts
//! (`CHIPWATCH_BENCH_DENSE=1` restores the former text, for comparison).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chipwatch::rules::{Doc, Origin, Priority, RuleDef, RuleSet, TermSets};

struct Item {
    title: String,
    summary: String,
    content: String,
    link: String,
}

/// Tiny deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

fn inner<'a>(chunk: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let Some(s) = chunk.find(&open) else {
        return "";
    };
    let Some(gt) = chunk[s..].find('>') else {
        return "";
    };
    let body = &chunk[s + gt + 1..];
    body.find(&close).map_or("", |e| &body[..e])
}

fn cut(s: &str, mut n: usize) -> (&str, &str) {
    n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.split_at(n)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn corpus(root: &Path) -> Vec<Item> {
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    let mut items = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        // Non-UTF-8 documents (the encoding tests) would be decoded by the fetcher first.
        let Ok(raw) = String::from_utf8(bytes) else {
            continue;
        };
        let chunks = raw
            .split("<item")
            .skip(1)
            .chain(raw.split("<entry").skip(1));
        for chunk in chunks {
            let title = strip_tags(inner(&format!("<t{chunk}"), "title"))
                .trim()
                .to_owned();
            let link = strip_tags(inner(&format!("<t{chunk}"), "link"))
                .trim()
                .to_owned();
            let text = strip_tags(chunk);
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let (summary, content) = cut(&text, 300);
            items.push(Item {
                title,
                summary: summary.into(),
                content: content.into(),
                link,
            });
        }
    }
    items
}

const EN: &str = "the,US,Commerce,Department,said,on,Tuesday,it,would,tighten,export,controls,\
    advanced,chips,semiconductor,equipment,China,Nvidia,H20,licence,BIS,Entity List,\
    market,shares,rose,after,earnings,company,new,rules,AI,data,center,supply,chain,\
    Huawei,SMIC,ASML,lithography,tools,Netherlands,Japan,officials,week";
const ZH: &str = "美国,商务部,宣布,对华,芯片,出口管制,半导体,晶片,輝達,華為,實體清單,许可,市场,公司,表示,技术,限制,中国,台積電,光刻机,制裁,稀土,镓,锗,\
    報導";

/// Filler prose (not pack terms, and no CJK pack term across word joins).
const EN_FILLER: &str = "the,a,of,to,and,in,that,is,was,for,with,as,by,at,from,its,has,have,had,be,this,\
    which,but,not,are,were,year,people,minister,report,statement,analysts,investors,\
    growth,quarter,percent,billion,million,plans,meeting,told,reporters,according,\
    sources,familiar,matter,talks,president,economy,prices,demand,production,\
    industry,customers,products,last,next,month,more,than,also,could,may,while,over,\
    about,Reuters,Monday";
const ZH_FILLER: &str = "的,了,在,是,和,有,这,也,将,今年,经济,增长,会议,记者,消息,人士,认为,发展,合作,企业,投资,去年,季度,销售,产品,官员,发布,计划,方面,\
    进一步,目前,已经,可能,一些,问题,影响,行业,需求,价格,数据,显示,上周,周二,指出,相关,全球,，,。";

fn synthetic(n: usize) -> Vec<Item> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // CHIPWATCH_BENCH_DENSE=1: the former all-topical text, for comparison.
    let dense = std::env::var_os("CHIPWATCH_BENCH_DENSE").is_some_and(|v| v == "1");
    let list = |s: &'static str| s.split(',').collect::<Vec<_>>();
    let (en, zh) = (list(EN), list(ZH));
    let (en_filler, zh_filler) = (list(EN_FILLER), list(ZH_FILLER));
    let mut items = Vec::new();
    for i in 0..n {
        let (vocab, filler, sep) = if i % 3 == 2 {
            (&zh, &zh_filler, "")
        } else {
            (&en, &en_filler, " ")
        };
        let mut words = |k: usize| {
            (0..k)
                .map(|_| {
                    let topical = dense || rng.next().is_multiple_of(8);
                    *rng.pick(if topical { vocab } else { filler })
                })
                .collect::<Vec<_>>()
                .join(sep)
        };
        items.push(Item {
            title: words(10),
            summary: words(40),
            content: words(300),
            link: format!("https://example.com/news/{i}"),
        });
    }
    items
}

fn load_pack(path: &Path) -> (Vec<RuleDef>, TermSets) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (Vec::new(), TermSets::new());
    };
    let v: toml::Table = toml::from_str(&text).expect("rule pack is valid TOML");
    let mut sets = TermSets::new();
    if let Some(t) = v.get("terms").and_then(|t| t.as_table()) {
        for (k, list) in t {
            let members = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(String::from));
            sets.insert(k.clone(), members.collect());
        }
    }
    let mut rules = Vec::new();
    for r in v
        .get("rule")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
    {
        let s = |k: &str| {
            r.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let list = |k: &str| {
            r.get(k)
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        };
        rules.push(RuleDef {
            name: s("name"),
            query: s("query"),
            weight: r.get("weight").and_then(|x| x.as_float()).unwrap_or(1.0),
            min_score: r.get("min_score").and_then(|x| x.as_float()).unwrap_or(0.0),
            priority: if s("priority") == "alert" {
                Priority::Alert
            } else {
                Priority::Digest
            },
            feeds: list("feeds"),
            tags: list("tags"),
            topic: None,
            origin: Origin {
                path: path.display().to_string(),
                line: 0,
                col: 0,
            },
        });
    }
    (rules, sets)
}

/// Deterministic generated rules (many distinct terms, all operators).
fn generate(n: usize, start: usize, sets: &TermSets) -> Vec<RuleDef> {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let syl = [
        "ex", "port", "chip", "con", "trol", "semi", "li", "cense", "ban", "tar", "iff", "fab",
        "wa", "fer",
    ];
    let zh = [
        "出口",
        "芯片",
        "管制",
        "半导体",
        "制裁",
        "许可",
        "光刻",
        "晶圆",
        "稀土",
        "禁令",
        "实体",
        "清单",
    ];
    let set_names: Vec<&String> = sets.keys().collect();
    let word = |rng: &mut Rng| {
        let k = 2 + rng.next() % 3;
        (0..k).map(|_| *rng.pick(&syl)).collect::<String>()
    };
    (0..n)
        .map(|i| {
            let a = word(&mut rng);
            let b = word(&mut rng);
            let c = *rng.pick(&zh);
            let query = match i % 8 {
                0 => format!("{a} {b}"),
                1 => format!("\"{a} {b}\" OR {c}"),
                2 => format!("title:{a}* -{b}"),
                3 => format!("{a} NEAR/5 {b}"),
                4 if !set_names.is_empty() => format!("@{} {a}", rng.pick(&set_names)),
                5 => format!("={} ({b} OR {c})", a.to_uppercase()),
                6 => format!("{c} {}", rng.pick(&zh)),
                _ => format!("({a} OR {b}) AND NOT (export* OR {c})"),
            };
            RuleDef {
                name: format!("gen-{}", start + i),
                query,
                weight: 1.0,
                min_score: 0.0,
                priority: Priority::Digest,
                feeds: Vec::new(),
                tags: Vec::new(),
                topic: None,
                origin: Origin::default(),
            }
        })
        .collect()
}

/// CPU time of this thread (Linux `schedstat`), so that a busy machine does
/// not distort the figures; falls back to wall time elsewhere.
fn cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// Distinct hit spans (of matching rules) per 1000 bytes of title+summary+content,
/// and an order-independent checksum of all matches (rule, score, hit spans),
/// to compare engine versions.
fn density(rs: &RuleSet, docs: &[Doc]) -> (f64, u64) {
    let (mut hits, mut bytes, mut sum) = (0usize, 0usize, 0u64);
    for (i, d) in docs.iter().enumerate() {
        bytes += d.title.len() + d.summary.len() + d.content.len();
        let mut spans = std::collections::HashSet::new();
        for m in rs.match_doc(d) {
            spans.extend(m.hits.iter().map(|h| (h.field, h.start, h.end)));
            let mut h = (i as u64) << 32 ^ m.rule as u64 ^ (m.score * 64.0) as u64;
            for x in &m.hits {
                h = h.wrapping_mul(31).wrapping_add(
                    (x.start * 7 + x.end * 13 + x.term.len() * 17 + x.field as usize) as u64,
                );
            }
            sum = sum.wrapping_add(h.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        hits += spans.len();
    }
    (hits as f64 * 1000.0 / bytes.max(1) as f64, sum)
}

/// (MB/s on CPU time, MB/s on wall time, matches per pass)
fn throughput(rs: &RuleSet, docs: &[Doc], bytes: usize) -> (f64, f64, usize) {
    let mut matches = 0;
    for d in docs.iter().take(50) {
        matches += rs.match_doc(d).len(); // warm-up
    }
    let start = Instant::now();
    let cpu0 = cpu_secs();
    let mut rounds = 0;
    // CHIPWATCH_BENCH_ROUNDS=n: exactly n rounds (instruction counts under cachegrind).
    let fixed: Option<u32> = std::env::var("CHIPWATCH_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok());
    while fixed.map_or(
        start.elapsed() < Duration::from_secs(3) || rounds < 2,
        |n| rounds < n,
    ) {
        matches = 0;
        for d in docs {
            matches += black_box(rs.match_doc(black_box(d))).len();
        }
        rounds += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu0.zip(cpu_secs()).map_or(wall, |(a, b)| b - a);
    let mb = bytes as f64 * rounds as f64 / 1e6;
    (mb / cpu, mb / wall, matches)
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus_dir = std::env::var_os("CHIPWATCH_CORPUS")
        .map_or_else(|| manifest.join("../shared/corpus/feeds"), PathBuf::from);
    let pack = std::env::var_os("CHIPWATCH_RULE_PACK").map_or_else(
        || manifest.join("config/rules/semiconductor-export.toml"),
        PathBuf::from,
    );
    let mut items = corpus(&corpus_dir);
    let real = items.len();
    items.extend(synthetic(600));
    let docs: Vec<Doc> = items
        .iter()
        .map(|i| Doc {
            title: &i.title,
            summary: &i.summary,
            content: &i.content,
            link: &i.link,
            feed_name: Some("bench"),
            feed_tags: &[],
        })
        .collect();
    let bytes: usize = items
        .iter()
        .map(|i| i.title.len() + i.summary.len() + i.content.len())
        .sum();
    let (mut rules, sets) = load_pack(&pack);
    let pack_rules = rules.len();
    rules.extend(generate(
        500usize.saturating_sub(rules.len()),
        rules.len(),
        &sets,
    ));
    println!(
        "corpus: {real} feed items from {} + 600 synthetic = {} docs, {:.2} MB (title+summary+content)",
        corpus_dir.display(),
        docs.len(),
        bytes as f64 / 1e6
    );
    println!(
        "rules: {pack_rules} from {} + {} generated",
        pack.display(),
        rules.len() - pack_rules
    );

    let compile = |defs: &[RuleDef]| match RuleSet::compile(defs, &sets) {
        Ok((rs, _)) => rs,
        Err(errs) => panic!(
            "rules do not compile:\n{}",
            errs.iter().map(|e| format!("{e}\n")).collect::<String>()
        ),
    };
    let mut times = Vec::new();
    let compiles = if std::env::var_os("CHIPWATCH_BENCH_ROUNDS").is_some() {
        1
    } else {
        15
    };
    for _ in 0..compiles {
        let t = Instant::now();
        black_box(compile(&rules));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let compile_ms = times[times.len() / 2];
    let rs500 = compile(&rules);
    let rs5 = compile(&rules[..5]);
    let ((dc, sc), (ds, ss)) = (
        density(&rs500, &docs[..real]),
        density(&rs500, &docs[real..]),
    );
    println!(
        "500-rule hit spans per KB: corpus {dc:.2}, synthetic {ds:.2} (checksum {:016x})",
        sc.wrapping_add(ss)
    );
    // CHIPWATCH_BENCH_ONLY=500 (or 5) runs one side only (for profiling).
    let only = std::env::var("CHIPWATCH_BENCH_ONLY").unwrap_or_default();
    let (mbs5, wall5, m5) = if only == "500" {
        (0.0, 0.0, 0)
    } else {
        throughput(&rs5, &docs, bytes)
    };
    let (mbs500, wall500, m500) = if only == "5" {
        (0.0, 0.0, 0)
    } else {
        throughput(&rs500, &docs, bytes)
    };
    let (t5, t500) = (rs5.term_count(), rs500.term_count());
    println!(
        "5 rules   ({t5:>4} terms): {mbs5:7.1} MB/s CPU time ({wall5:.1} wall), {m5} matches/pass"
    );
    println!(
        "500 rules ({t500:>4} terms): {mbs500:7.1} MB/s CPU time ({wall500:.1} wall), {m500} matches/pass"
    );
    println!(
        "compile 500 rules: {compile_ms:.2} ms (median of {})",
        times.len()
    );
    let ok = |b: bool| if b { "ok" } else { "MISSED" };
    println!(
        "bars: >=100 MB/s [{}], 500-rule within 2x of 5-rule [{}] (ratio {:.2}), compile < 50 ms [{}]",
        ok(mbs500 >= 100.0 && mbs5 >= 100.0),
        ok(mbs5 <= 2.0 * mbs500),
        mbs5 / mbs500,
        ok(compile_ms < 50.0)
    );
}

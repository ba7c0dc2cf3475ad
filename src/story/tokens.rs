//! The matching-only text of stories: NFKC, case and Traditional→Simplified folding, outlet
//! boilerplate ("UPDATE 2-", "| Tom's Hardware"), light stemming and synonyms; word tokens for
//! Latin text, character bigrams for CJK; the generic-topic and number classes the decision
//! weighs. Pure; used by [`super`] only.

use crate::rules::{fold_han, is_cjk_letter};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// FNV-1a with a SplitMix64 finaliser: stable across builds (signatures are stored).
pub(super) fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Title tokens without outlet boilerplate ("UPDATE 2-", "Exclusive:", "- Reuters").
pub(super) fn title_tokens(title: &str) -> Vec<String> {
    let mut text = normalise(title);
    while let Some(cut) = SEPARATORS.iter().filter_map(|s| text.rfind(s)).max() {
        let tail = text[cut..]
            .trim_start_matches([' ', '-', '|', '–', '—', ':'])
            .trim();
        let tail = tail.strip_prefix("the ").unwrap_or(tail);
        if !OUTLETS.split('|').any(|o| o == tail) {
            break;
        }
        text.truncate(cut);
    }
    let mut out = Vec::new();
    let mut skip_number = false;
    for tok in tokens(&text) {
        if tok == "updat" {
            skip_number = true;
            continue;
        }
        if std::mem::take(&mut skip_number) && tok.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        out.push(tok);
    }
    out
}

/// NFKC, lowercase, Traditional→Simplified (the rules' generated OpenCC table), a few phrase folds.
pub(super) fn normalise(s: &str) -> String {
    let mut out: String = s
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' | '\u{b4}' => '\'',
            c if (c as u32) < 0x3000 => c,
            c => fold_han(c),
        })
        .collect();
    for (from, to) in PHRASES.split('|').filter_map(|p| p.split_once('=')) {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    out
}

/// Word tokens (stemmed, synonyms folded, stop words dropped) and CJK character bigrams.
pub(super) fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if is_cjk_letter(chars[i]) {
            while i < chars.len() && is_cjk_letter(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                out.push(run[0].to_string());
            }
            out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        } else if chars[i].is_alphanumeric() {
            while i < chars.len() {
                let (c, next) = (chars[i], chars.get(i + 1).copied().unwrap_or(' '));
                let digit_sep = matches!(c, '.' | ',')
                    && chars[i - 1].is_ascii_digit()
                    && next.is_ascii_digit();
                if (c.is_alphanumeric() && !is_cjk_letter(c))
                    || digit_sep
                    || (c == '\'' && next.is_alphabetic())
                {
                    i += 1;
                } else {
                    break;
                }
            }
            let word: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            push_word(&word, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

fn push_word(word: &str, out: &mut Vec<String>) {
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        let split = word
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(word.len());
        let (num, unit) = word.split_at(split);
        out.push(num.trim_end_matches('.').to_string());
        let unit = match unit {
            "m" | "mn" | "mln" => "million",
            "b" | "bn" | "bln" => "billion",
            "s" | "st" | "nd" | "rd" | "th" | "pct" => "",
            u => u,
        };
        if !unit.is_empty() {
            push_word(unit, out);
        }
        return;
    }
    let word = word.strip_suffix("'s").unwrap_or(word).replace('\'', "");
    if TABLES.stop.contains(word.as_str()) {
        return;
    }
    match TABLES.synonyms.get(word.as_str()) {
        Some(to) => out.push((*to).to_string()),
        None => out.push(stem(&word)),
    }
}

/// Light suffix stripping so "fine/fines/fined" and "curb/curbs/curbed" meet.
fn stem(w: &str) -> String {
    let mut s = w.to_string();
    if !s.is_ascii() || s.len() <= 3 || s.bytes().any(|b| b.is_ascii_digit()) {
        return s;
    }
    if s.len() > 4 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s.pop();
    }
    let cut = if s.len() > 5 && s.ends_with("ing") {
        3
    } else if s.len() > 4 && s.ends_with("ed") {
        2
    } else {
        0
    };
    if cut > 0 {
        s.truncate(s.len() - cut);
        let b = s.as_bytes();
        if b.len() > 2
            && b[b.len() - 1] == b[b.len() - 2]
            && !b"aeioulsdz".contains(&b[b.len() - 1])
        {
            s.pop();
        }
    }
    if s.len() > 3 && s.ends_with('e') {
        s.pop();
    }
    s
}

pub(super) fn is_numberish(tok: &str) -> bool {
    tok.bytes().any(|b| b.is_ascii_digit())
}

pub(super) fn is_generic(tok: &str) -> bool {
    TABLES.generic.contains(tok)
}

/// The word lists below as lookup tables, built once.
struct Tables {
    stop: HashSet<&'static str>,
    generic: HashSet<&'static str>,
    /// Raw form → canonical form.
    synonyms: HashMap<&'static str, &'static str>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut synonyms = HashMap::new();
    for (to, forms) in SYNONYMS
        .split(';')
        .filter_map(|line| line.trim().split_once(": "))
    {
        for f in forms.split(' ') {
            // The first listing of a form wins, as a linear scan of the list would find it.
            synonyms.entry(f).or_insert(to);
        }
    }
    Tables {
        stop: STOP.split(' ').filter(|w| !w.is_empty()).collect(),
        generic: GENERIC.split(' ').filter(|w| !w.is_empty()).collect(),
        synonyms,
    }
});

const SEPARATORS: [&str; 5] = [" - ", " | ", " – ", " — ", " : "];

const OUTLETS: &str = "reuters|bloomberg|scmp|south china morning post|nikkei|nikkei asia|register|\
    tom's hardware|toms hardware|digitimes|digitimes asia|ee times|eetimes|caixin|\
    caixin global|36kr|verge|financial times|ft|wsj|wall street journal|cnbc|ap|\
    associated press|yahoo finance|路透|路透社|彭博|彭博社|财新|财新网|36氪|南华早报|日经|日经中文网|中央社|经济日报|联合报";

const STOP: &str = "a an the of to in on for and or with by at from as is are be was were been its it that \
    this these after over amid into says said say sources source report reports reportedly \
    could would will may might can more than about has have had new latest monday tuesday \
    wednesday thursday friday saturday sunday exclusive breaking refile corrected \
    correction analysis factbox explainer reuters bloomberg scmp news what why how s via \
    per also just";

/// Canonical form ← space-separated raw forms (checked before stemming).
const SYNONYMS: &str = "us: us usa america american americans washington;\
    china: china chinese beijing prc mainland;\
    chip: chip chips semiconductor semiconductors microchip microchips accelerator accelerators gpu gpus processor processors;\
    firm: firm firms company companies businesses entities;\
    entitylist: entitylist blacklist blacklists blacklisted blacklisting;\
    curb: curb curbs curbed restriction restrictions restrict restricts restricted control controls limit limits;\
    ban: ban bans banned bar bars barred block blocks blocked prohibit prohibits prohibited;\
    fin: fine fines fined penalty penalties penalise penalises penalize penalizes settle settles settlement;\
    dutch: dutch netherlands hague;\
    japan: japan japanese tokyo;\
    korea: korea korean seoul;\
    taiwan: taiwan taiwanese taipei;\
    bis: bis commerce;\
    licens: license licence licenses licences licensing licensed permit permits approval approvals;\
    get: get gets got win wins won secure secures secured receive receives received obtain obtains grant grants granted;\
    fall: fall falls fell drop drops dropped dropping decline declines declined slip slips slide slides down;\
    rise: rise rises rose jump jumps jumped surge surges surged climb climbs climbed gain gains grow grows up increase increases;\
    probe: probe probes probing investigate investigates investigation investigating inquiry;\
    sal: sale sales sell sells selling sold ship ships shipping shipped shipment shipments;\
    launch: launch launches launched unveil unveils unveiled debut debuts introduce introduces;\
    profit: profit profits earnings income;\
    violat: violate violates violation violations breach breaches;\
    tighten: tighten tightens tightened tightening expand expands expanded widen widens widened;\
    2: two; 3: three; 4: four; 5: five; 6: six; 7: seven;\
    8: eight; 9: nine; 10: ten; 11: eleven; 12: twelve;\
    m1: january jan; m2: february feb; m3: march; m4: april; m6: june; m7: july;\
    m8: august aug; m9: september sept sep; m10: october oct; m11: november nov; m12: december dec;";

const GENERIC: &str = "us china chip firm curb export ban rul trade tech technology ai licens sal global \
    market industry government official 美国 中国 芯片 出口 管制 半导 导体 限制 企业 公司 禁令";

/// Phrase folds applied after character folding (Taiwan vs mainland terms, "U.S.").
const PHRASES: &str = "u.s.=us|u.s=us|entity list=entitylist|high-bandwidth memory=hbm|high bandwidth memory=hbm|third-quarter=q3|third quarter=q3|晶片=芯片|辉达=英伟达|川普=特朗普";

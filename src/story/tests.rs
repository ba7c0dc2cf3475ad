//! Unit tests of `cluster`.
use super::*;

fn sig(title: &str) -> Signature {
    signature(&Item {
        title,
        summary: "",
        published: None,
    })
}

#[test]
fn boilerplate_and_edits_do_not_matter() {
    let a = sig("US adds 5 Chinese firms to Entity List");
    let b = sig("UPDATE 2-U.S. adds five Chinese companies to entity list - Reuters");
    assert_eq!(a, b);
    assert!(same_story(&a, Some(0), &b, Some(3600)));
}

#[test]
fn different_counts_and_far_dates_are_different_stories() {
    let a = sig("US adds 5 Chinese firms to Entity List");
    let b = sig("US adds 7 Chinese firms to Entity List");
    assert!(!same_story(&a, None, &b, None));
    assert!(!same_story(
        &a,
        Some(0),
        &a,
        Some(Thresholds::DEFAULT.window_secs + 1)
    ));
}

#[test]
fn traditional_and_simplified_meet() {
    let a = sig("美國將中芯國際列入實體清單");
    let b = sig("美国将中芯国际列入实体清单");
    assert_eq!(a, b);
    assert!(!band_keys(&a).is_empty() && band_keys(&a).len() <= MAX_BAND_KEYS);
}

#[test]
fn scores_are_finite() {
    let s = PairScores::default();
    assert!(s.precision().is_finite() && s.recall().is_finite());
}

#[test]
fn signatures_round_trip_and_corrupt_bytes_are_refused() {
    let s = signature(&Item {
        title: "BIS adds 7 firms incl. SMIC unit to Entity List; H20 exports hit",
        summary: "The Bureau of Industry and Security added seven companies on Friday, \
                  including a unit of SMIC, citing diversion of H20 accelerators.",
        published: Some(1),
    });
    assert!(!s.numbers.is_empty() && !s.summary.is_empty());
    let bytes = s.to_bytes();
    assert_eq!(Signature::from_bytes(&bytes), Some(s));
    assert_eq!(Signature::from_bytes(&bytes[..bytes.len() - 1]), None);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(Signature::from_bytes(&longer), None);
    assert_eq!(Signature::from_bytes(&[0xff; 4]), None);
    assert_eq!(
        Signature::from_bytes(&Signature::default().to_bytes()),
        Some(Signature::default())
    );
}

#[test]
fn identical_titles_share_their_first_band_key_only_when_identical() {
    let a = sig("Nvidia H20 sales to China stall as export curbs bite");
    let b = sig("Nvidia H20 sales to China stall as export curbs bite");
    let c = sig("Nvidia H20 sales to China resume after export curbs ease");
    assert_eq!(band_keys(&a), band_keys(&b));
    assert_ne!(band_keys(&a)[0], band_keys(&c)[0]);
    assert!(band_keys(&a).len() <= MAX_BAND_KEYS);
}

#[test]
fn an_edited_title_in_the_same_feed_is_the_same_item() {
    let summary = "The Commerce Department added companies including Shanghai Lumen Optics, \
                   Hefei Qixin Semiconductor and Wuxi Photonic Tools to the Entity List on Monday, \
                   citing support for military modernisation and diversion of lithography parts.";
    let item = |title| {
        signature(&Item {
            title,
            summary,
            published: Some(0),
        })
    };
    let before = item("US adds 5 Chinese firms to Entity List");
    let after = item("Correction: Commerce blacklists seven Chinese toolmakers");
    assert!(!same_story(&before, Some(0), &after, Some(600)));
    assert!(same_story_in(&before, Some(0), &after, Some(600), true));
    assert!(!same_story_in(&before, Some(0), &after, Some(600), false));
    // Outside the window an identical body is a re-run, not an edit.
    let far = Thresholds::DEFAULT.window_secs + 1;
    assert!(!same_story_in(&before, Some(0), &after, Some(far), true));
    // Boilerplate summaries are too short to vouch for anything.
    let short = |title| {
        signature(&Item {
            title,
            summary: "Read more on our website.",
            published: Some(0),
        })
    };
    assert!(!same_story_in(
        &short("US adds 5 Chinese firms to Entity List"),
        Some(0),
        &short("Dutch widen ASML export licence rules"),
        Some(60),
        true
    ));
}

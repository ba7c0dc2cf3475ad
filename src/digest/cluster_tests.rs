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

//! Classification scoring for `rules eval`: a confusion matrix of predicted
//! vs labelled relevance and its precision / recall / F1.
//!
//! Conventions (all results are finite numbers in `0.0..=1.0`):
//! - precision = tp / (tp + fp), and **1.0 when nothing was predicted
//!   positive** (no false alarm was raised);
//! - recall = tp / (tp + fn), and **1.0 when there is no actual positive**
//!   (nothing could be missed);
//! - F1 = harmonic mean of the two, and 0.0 when both are 0.

use std::fmt;
use std::ops::AddAssign;

/// Counts of true/false positives/negatives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

impl Confusion {
    /// Record one item: did the rules flag it, and is it labelled relevant?
    pub fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// Number of items recorded.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// Share of flagged items that are relevant (1.0 if none was flagged).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// Share of relevant items that were flagged (1.0 if none is relevant).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall (0.0 when both are 0).
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Share of items classified correctly (1.0 when empty).
    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.total())
    }
}

impl AddAssign for Confusion {
    fn add_assign(&mut self, o: Confusion) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tp={} fp={} fn={} tn={} precision={:.3} recall={:.3} f1={:.3}",
            self.tp,
            self.fp,
            self.fn_,
            self.tn,
            self.precision(),
            self.recall(),
            self.f1()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let mut c = Confusion::default();
        assert_eq!(
            (c.precision(), c.recall(), c.f1(), c.accuracy()),
            (1.0, 1.0, 1.0, 1.0)
        );
        for (p, a) in [
            (true, true),
            (true, false),
            (false, true),
            (false, false),
            (true, true),
        ] {
            c.add(p, a);
        }
        assert_eq!(
            c,
            Confusion {
                tp: 2,
                fp: 1,
                fn_: 1,
                tn: 1
            }
        );
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.f1() - 2.0 / 3.0).abs() < 1e-12);
        let none = Confusion {
            tp: 0,
            fp: 3,
            fn_: 2,
            tn: 0,
        };
        assert_eq!(
            (none.precision(), none.recall(), none.f1()),
            (0.0, 0.0, 0.0)
        );
        let quiet = Confusion {
            tp: 0,
            fp: 0,
            fn_: 2,
            tn: 5,
        };
        assert_eq!(
            (quiet.precision(), quiet.recall(), quiet.f1()),
            (1.0, 0.0, 0.0)
        );
        assert!(c.to_string().contains("tp=2"));
    }
}

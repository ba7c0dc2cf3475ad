//! Digest topics: the human section titles a rule pack gives its rules (`topic = "Entity
//! List"`, several rules and languages per topic), their order (`topics = [...]` in the pack,
//! then rule order; topics of alert rules first), and the context terms (`context_terms`:
//! places and actors that only support a match) that are never highlighted nor named in the
//! short "why". Built once per configuration; used by `digest` rendering.

use std::collections::{HashMap, HashSet};

/// Topic titles and order, and the context terms, of a rule set.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Rule name → topic title.
    of_rule: HashMap<String, String>,
    /// Topic titles, first section first.
    order: Vec<String>,
    /// Lower-cased term expressions that only support matches.
    context: HashSet<String>,
    /// Names of the alert rules.
    alert_rules: HashSet<String>,
}

impl Topics {
    /// `rules`: (name, topic, is alert) in rule-pack order; `declared`: the pack's order;
    /// `context`: the context term expressions.
    pub fn new(
        rules: &[(String, Option<String>, bool)],
        declared: &[String],
        context: impl IntoIterator<Item = String>,
    ) -> Topics {
        let of_rule: HashMap<String, String> = rules
            .iter()
            .map(|(n, t, _)| (n.clone(), t.clone().unwrap_or_else(|| n.clone())))
            .collect();
        let mut order: Vec<String> = Vec::new();
        let mut push = |t: &String| {
            if !order.contains(t) {
                order.push(t.clone());
            }
        };
        let alert_topics: Vec<&String> = rules
            .iter()
            .filter(|r| r.2)
            .filter_map(|r| of_rule.get(&r.0))
            .collect();
        // Alert topics first (in the declared order where declared), then the declared order,
        // then the remaining topics in rule order.
        for t in declared.iter().filter(|t| alert_topics.contains(t)) {
            push(t);
        }
        for t in &alert_topics {
            push(t);
        }
        for t in declared {
            push(t);
        }
        for (n, _, _) in rules {
            if let Some(t) = of_rule.get(n) {
                push(t);
            }
        }
        Topics {
            of_rule,
            order,
            context: context.into_iter().map(|t| t.to_lowercase()).collect(),
            alert_rules: rules.iter().filter(|r| r.2).map(|r| r.0.clone()).collect(),
        }
    }

    /// The topic a rule's stories are filed under (its name when the pack gives none).
    pub fn of(&self, rule: &str) -> String {
        self.of_rule
            .get(rule)
            .cloned()
            .unwrap_or_else(|| rule.to_string())
    }

    /// The topic a story is filed under: an alert rule's topic when one of its rules is an
    /// alert rule (a story matched by the Entity List rule goes to the Entity List), else the
    /// topic of its best-scoring rule `best`.
    pub fn of_story(&self, best: &str, rules: &[String]) -> String {
        rules
            .iter()
            .filter(|r| self.alert_rules.contains(*r))
            .map(|r| self.of(r))
            .min_by_key(|t| self.rank(t))
            .unwrap_or_else(|| self.of(best))
    }

    /// Section position of a topic (unknown topics last).
    pub fn rank(&self, topic: &str) -> usize {
        self.order
            .iter()
            .position(|t| t == topic)
            .unwrap_or(self.order.len())
    }

    /// The term (as stored in a hit) only supports a match.
    pub fn is_context(&self, term: &str) -> bool {
        self.context.contains(&term.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::Topics;

    #[test]
    fn alert_topics_come_first_then_the_declared_order() {
        let r = |n: &str, t: Option<&str>, a| (n.to_string(), t.map(str::to_string), a);
        let t = Topics::new(
            &[
                r("policy", Some("Export rules"), false),
                r("lic", Some("Licences"), false),
                r("lic-zh", Some("Licences"), false),
                r("el", Some("Entity List"), true),
                r("misc", None, false),
            ],
            &["Licences".to_string()],
            ["China".to_string()],
        );
        assert_eq!(t.of("lic-zh"), "Licences");
        assert_eq!(t.of("misc"), "misc");
        let ranks: Vec<usize> = ["Entity List", "Licences", "Export rules", "misc"]
            .iter()
            .map(|x| t.rank(x))
            .collect();
        assert_eq!(ranks, vec![0, 1, 2, 3]);
        assert!(t.is_context("china") && !t.is_context("Entity List"));
        let rules = ["policy".to_string(), "el".to_string()];
        assert_eq!(t.of_story("policy", &rules), "Entity List");
        assert_eq!(t.of_story("lic", &["lic".to_string()]), "Licences");
    }
}

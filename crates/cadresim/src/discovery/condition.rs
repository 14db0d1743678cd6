//! Conditions on one replicate's equilibrium, as `discover --where` and boundary searches
//! state them: `METRIC < X` (also `<=`, `>`, `>=`), `class == NAME`, `class in [A, B]`,
//! joined by `and`. The class name `lazy` means either lazy class (lazy governance).
//! Parse errors name the offending token.

use crate::metrics::{is_lazy_governance, metric_index, CLASSES, METRICS, METRIC_COUNT};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// One clause of a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    Metric {
        metric: usize,
        compare: Compare,
        value: f64,
    },
    /// The class is one of these.
    Class(Vec<&'static str>),
}

/// Clauses that must all hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub clauses: Vec<Clause>,
    /// The condition as given.
    pub text: String,
}

/// A condition that cannot be parsed: the token and what was expected.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("condition `{text}`: {problem}")]
pub struct ConditionError {
    pub text: String,
    pub problem: String,
}

impl Condition {
    /// Whether the condition holds for an equilibrium (metric means in `METRICS` order).
    pub fn holds(&self, means: &[f64; METRIC_COUNT], class: &str) -> bool {
        self.clauses.iter().all(|clause| match clause {
            Clause::Metric {
                metric,
                compare,
                value,
            } => {
                let x = means[*metric];
                match compare {
                    Compare::Less => x < *value,
                    Compare::LessOrEqual => x <= *value,
                    Compare::Greater => x > *value,
                    Compare::GreaterOrEqual => x >= *value,
                }
            }
            Clause::Class(classes) => classes.contains(&class),
        })
    }

    /// What the condition means, in words for a summary line: "lazy governance" for a class
    /// condition on both lazy classes, else the text.
    pub fn describe(&self) -> String {
        let lazy = self.clauses.iter().any(|clause| {
            matches!(clause, Clause::Class(classes) if classes.iter().all(|c| is_lazy_governance(c)) && classes.len() == 2)
        });
        if lazy && self.clauses.len() == 1 {
            format!("lazy governance ({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Split a condition into tokens: words, numbers, operators, brackets and commas.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if "[],".contains(c) {
            tokens.push(c.to_string());
            chars.next();
        } else if "<>=!".contains(c) {
            let mut op = String::new();
            while let Some(&o) = chars.peek().filter(|o| "<>=!".contains(**o)) {
                op.push(o);
                chars.next();
            }
            tokens.push(op);
        } else {
            let mut word = String::new();
            while let Some(&w) = chars
                .peek()
                .filter(|w| !w.is_whitespace() && !"[],<>=!".contains(**w))
            {
                word.push(w);
                chars.next();
            }
            tokens.push(word);
        }
    }
    tokens
}

/// Parse a condition.
pub fn parse(text: &str) -> Result<Condition, ConditionError> {
    let fail = |problem: String| ConditionError {
        text: text.to_string(),
        problem,
    };
    let tokens = tokens(text);
    if tokens.is_empty() {
        return Err(fail(
            "is empty; write e.g. `mean_innovation < 0.15` or `class == lazy-routine`".into(),
        ));
    }
    let mut clauses = Vec::new();
    let mut rest = &tokens[..];
    loop {
        let (clause, after) = clause(rest).map_err(fail)?;
        clauses.push(clause);
        match after.split_first() {
            None => break,
            Some((word, more)) if word == "and" => rest = more,
            Some((word, _)) => {
                return Err(fail(format!(
                    "expected `and` or the end after a clause, found `{word}`"
                )))
            }
        }
    }
    Ok(Condition {
        clauses,
        text: text.trim().to_string(),
    })
}

fn clause(tokens: &[String]) -> Result<(Clause, &[String]), String> {
    let Some((subject, rest)) = tokens.split_first() else {
        return Err("ends where a clause was expected (after `and`)".into());
    };
    if subject == "class" {
        return class_clause(rest);
    }
    let metric = metric_index(subject).ok_or_else(|| {
        format!(
            "`{subject}` is neither `class` nor a metric (metrics: {})",
            METRICS.join(", ")
        )
    })?;
    let (op, rest) = rest
        .split_first()
        .ok_or_else(|| format!("expected <, <=, > or >= after `{subject}`"))?;
    let compare = match op.as_str() {
        "<" => Compare::Less,
        "<=" => Compare::LessOrEqual,
        ">" => Compare::Greater,
        ">=" => Compare::GreaterOrEqual,
        other => {
            return Err(format!(
                "`{other}` is not one of <, <=, >, >= (after `{subject}`)"
            ))
        }
    };
    let (number, rest) = rest
        .split_first()
        .ok_or_else(|| format!("expected a number after `{subject} {op}`"))?;
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("`{number}` is not a number (after `{subject} {op}`)"))?;
    Ok((
        Clause::Metric {
            metric,
            compare,
            value,
        },
        rest,
    ))
}

fn class_clause(tokens: &[String]) -> Result<(Clause, &[String]), String> {
    match tokens.split_first() {
        Some((op, rest)) if op == "==" => {
            let (name, rest) = rest
                .split_first()
                .ok_or("expected a class name after `class ==`")?;
            Ok((Clause::Class(classes_named(name)?), rest))
        }
        Some((op, rest)) if op == "in" => {
            let Some((open, mut rest)) = rest.split_first().filter(|(t, _)| *t == "[") else {
                return Err("expected `[` after `class in`".into());
            };
            let _ = open;
            let mut classes: Vec<&'static str> = Vec::new();
            loop {
                let (name, after) = rest
                    .split_first()
                    .ok_or("expected a class name and `]` after `class in [`")?;
                for class in classes_named(name)? {
                    if !classes.contains(&class) {
                        classes.push(class);
                    }
                }
                match after.split_first() {
                    Some((t, more)) if t == "," => rest = more,
                    Some((t, more)) if t == "]" => return Ok((Clause::Class(classes), more)),
                    Some((t, _)) => return Err(format!("expected `,` or `]`, found `{t}`")),
                    None => return Err("expected `]` to close `class in [`".into()),
                }
            }
        }
        Some((op, _)) => Err(format!("`{op}` after `class`: expected `==` or `in`")),
        None => Err("expected `==` or `in` after `class`".into()),
    }
}

/// The classes a name stands for: a class of docs/MODEL.md §7.11, or `lazy` for both lazy ones.
fn classes_named(name: &str) -> Result<Vec<&'static str>, String> {
    if name == "lazy" {
        return Ok(CLASSES
            .iter()
            .copied()
            .filter(|c| is_lazy_governance(c))
            .collect());
    }
    CLASSES
        .iter()
        .find(|c| **c == name)
        .map(|c| vec![*c])
        .ok_or_else(|| {
            format!(
                "`{name}` is not a class (classes: {}, or lazy for both lazy classes)",
                CLASSES.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MEAN_INNOVATION;

    #[test]
    fn conditions_parse_and_hold() {
        let condition = parse("mean_innovation<0.15 and class in [lazy, abusive]").unwrap();
        assert_eq!(condition.clauses.len(), 2);
        let mut means = [0.0; METRIC_COUNT];
        means[MEAN_INNOVATION] = 0.1;
        assert!(condition.holds(&means, "lazy-idle"));
        assert!(condition.holds(&means, "abusive"));
        assert!(!condition.holds(&means, "mixed"));
        means[MEAN_INNOVATION] = 0.15;
        assert!(!condition.holds(&means, "lazy-idle"));
        assert!(parse("class == lazy")
            .unwrap()
            .describe()
            .starts_with("lazy governance"));
    }

    #[test]
    fn errors_name_the_token() {
        let problem = |text: &str| parse(text).unwrap_err().problem;
        assert!(problem("happiness < 1").contains("`happiness`"));
        assert!(problem("welfare => 1").contains("`=>`"));
        assert!(problem("welfare < lots").contains("`lots`"));
        assert!(problem("class == lazyish").contains("`lazyish`"));
        assert!(problem("welfare < 1 or share_idle > 0").contains("`or`"));
        assert!(problem("class in [lazy").contains("`]`"));
        assert!(problem("welfare < 1 and").contains("after `and`"));
    }
}

//! The structural robustness of the claims, as plain numbers: the structural switches of the
//! experiments file (`[structure]`: socialization, the one-vote veto, the decision rule,
//! decomposition, lifelong accountability, the mechanisms), the full factorial of their
//! levels, which claims a cell can decide, how often each claim holds at each level of each
//! switch, and the section of RESULTS.md that says which claims need which switch.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::ClaimSpec;
use crate::params::Params;
use crate::registry;
use crate::scenario::ScenarioError;
use crate::stats::wilson95;

/// One level of a switch: its name and the parameters it sets (none for the reference).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Level {
    pub name: String,
    pub settings: Vec<(String, toml::Value)>,
}

/// A structural switch and its levels; the first level is the experiments' own setting.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Switch {
    pub name: String,
    pub levels: Vec<Level>,
}

/// `[structure]` of the experiments file: the replicates and fixed steps of every
/// experiment at a cell, and the switches.
#[derive(Clone, Debug, PartialEq)]
pub struct StructureSpec {
    pub replicates: u64,
    pub steps: u64,
    pub switches: Vec<Switch>,
}

/// The keys `[structure]` may have.
pub const KEYS: [&str; 3] = ["replicates", "steps", "switch"];

fn invalid(file: &str, key: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// Read `[[structure.switch]]` entries: a name and at least two levels, the first of them
/// `{}` (the experiments as they are), every setting a known parameter with a valid value.
pub fn load_switches(entries: &[toml::Value], file: &str) -> Result<Vec<Switch>, ScenarioError> {
    let mut switches: Vec<Switch> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let here = format!("structure.switch[{index}]");
        let table = entry
            .as_table()
            .ok_or_else(|| invalid(file, &here, "must be a table with name and levels"))?;
        if let Some(key) = table
            .keys()
            .find(|k| !["name", "levels"].contains(&k.as_str()))
        {
            return Err(invalid(
                file,
                &format!("{here}.{key}"),
                "is not a known key (allowed: name, levels)",
            ));
        }
        let name = table
            .get("name")
            .and_then(|v| v.as_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid(file, &format!("{here}.name"), "is required (a string)"))?;
        if switches.iter().any(|s| s.name == name) {
            return Err(invalid(
                file,
                &format!("{here}.name"),
                format!("`{name}` names two switches"),
            ));
        }
        let levels = load_levels(table.get("levels"), &format!("{here}.levels"), file)?;
        let keys = levels
            .iter()
            .flat_map(|l| l.settings.iter().map(|(k, _)| k));
        for key in keys {
            let earlier = switches.iter().find(|s| {
                s.levels
                    .iter()
                    .any(|l| l.settings.iter().any(|(k, _)| k == key))
            });
            if let Some(earlier) = earlier {
                return Err(invalid(
                    file,
                    &format!("{here}.levels"),
                    format!(
                        "set `{key}`, which switch `{}` sets too; each parameter may belong to one switch only",
                        earlier.name
                    ),
                ));
            }
        }
        switches.push(Switch {
            name: name.to_string(),
            levels,
        });
    }
    Ok(switches)
}

fn load_levels(
    value: Option<&toml::Value>,
    here: &str,
    file: &str,
) -> Result<Vec<Level>, ScenarioError> {
    let table = value
        .and_then(|v| v.as_table())
        .filter(|t| t.len() >= 2)
        .ok_or_else(|| {
            invalid(
                file,
                here,
                "must be a table of at least two levels, name = { \"section.key\" = value, ... }, the first {}",
            )
        })?;
    let mut levels = Vec::new();
    for (index, (name, settings)) in table.iter().enumerate() {
        let place = format!("{here}.{name}");
        let settings = settings
            .as_table()
            .ok_or_else(|| invalid(file, &place, "must be a table of \"section.key\" = value"))?;
        if index == 0 && !settings.is_empty() {
            return Err(invalid(
                file,
                &place,
                "the first level is the experiments as they are and must be {}",
            ));
        }
        let mut checked = Params::default();
        for (key, value) in settings {
            let spec = registry::lookup(key).ok_or_else(|| {
                let hint = match value {
                    toml::Value::Table(_) => {
                        " (a level name with a dot must be quoted: \"weight 0.5\")"
                    }
                    _ => "",
                };
                invalid(
                    file,
                    &format!("{place}.{key}"),
                    format!("is not a known parameter{hint}"),
                )
            })?;
            spec.set(&mut checked, value)
                .map_err(|error| invalid(file, &format!("{place}.{key}"), error.message))?;
        }
        levels.push(Level {
            name: name.clone(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        });
    }
    Ok(levels)
}

/// The full factorial of the switches' levels: one row of level indices per cell, the last
/// switch changing fastest; cell 0 is every switch at its first level.
pub fn cells(switches: &[Switch]) -> Vec<Vec<usize>> {
    let mut cells = vec![Vec::new()];
    for switch in switches {
        cells = cells
            .into_iter()
            .flat_map(|cell| {
                (0..switch.levels.len()).map(move |level| {
                    let mut next = cell.clone();
                    next.push(level);
                    next
                })
            })
            .collect();
    }
    cells
}

/// The settings of a cell, switch by switch.
pub fn settings<'a>(switches: &'a [Switch], cell: &[usize]) -> Vec<&'a (String, toml::Value)> {
    switches
        .iter()
        .zip(cell)
        .flat_map(|(switch, &level)| &switch.levels[level].settings)
        .collect()
}

/// Whether a cell can decide a claim: it sets none of the parameters the claim's regimes are
/// defined by (at a cell that makes pressure lifelong, `lifelong` compares lifelong with
/// lifelong).
pub fn applicable(claim: &ClaimSpec, switches: &[Switch], cell: &[usize]) -> bool {
    let set: BTreeSet<&str> = settings(switches, cell)
        .into_iter()
        .map(|(key, _)| key.as_str())
        .collect();
    !claim.regime.iter().any(|key| set.contains(key.as_str()))
}

/// How often a claim holds at one level of one switch (over the cells that can decide it).
#[derive(Clone, Debug, PartialEq)]
pub struct LevelCount {
    pub switch: String,
    pub level: String,
    pub cells: usize,
    pub holding: usize,
}

impl LevelCount {
    pub fn share(&self) -> Option<f64> {
        (self.cells > 0).then(|| self.holding as f64 / self.cells as f64)
    }
}

/// How a claim fares over the factorial.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimStructure {
    pub claim: String,
    /// Cells that can decide the claim, and those where it holds.
    pub cells: usize,
    pub holding: usize,
    /// Every level of every switch, in order.
    pub levels: Vec<LevelCount>,
}

/// A switch a claim depends on: the shares at its levels differ by at least this much.
pub const DEPENDS: f64 = 0.5;

impl LevelCount {
    /// Whether this level's share is clearly above `other`'s: their Wilson 95% intervals do
    /// not overlap.
    fn clearly_above(&self, other: &LevelCount) -> bool {
        let (low, _) = wilson95(self.holding, self.cells);
        let (_, high) = wilson95(other.holding, other.cells);
        low > high
    }
}

impl ClaimStructure {
    /// The switches a claim depends on, with the levels' counts in words: those whose levels'
    /// shares differ by at least `DEPENDS` ("socialization (16 of 16 on, 0 of 16 off)"), and
    /// those at some level of which it holds in no cell while at another its share is clearly
    /// above that none (Wilson intervals apart: "socialization, holds only with on (14 of 32
    /// on, 0 of 32 off)"). Levels where no cell can decide the claim do not count.
    pub fn depends_on(&self) -> Vec<String> {
        let mut switches: Vec<&str> = self.levels.iter().map(|l| l.switch.as_str()).collect();
        switches.dedup();
        switches
            .into_iter()
            .filter_map(|switch| {
                let levels: Vec<&LevelCount> = self
                    .levels
                    .iter()
                    .filter(|l| l.switch == switch && l.cells > 0)
                    .collect();
                let shares: Vec<f64> = levels.iter().filter_map(|l| l.share()).collect();
                let spread = shares.iter().cloned().fold(f64::NAN, f64::max)
                    - shares.iter().cloned().fold(f64::NAN, f64::min);
                let (holding, none): (Vec<&LevelCount>, Vec<&LevelCount>) =
                    levels.iter().partition(|l| l.holding > 0);
                let only = holding
                    .iter()
                    .any(|h| none.iter().any(|n| h.clearly_above(n)));
                let counts: Vec<String> = levels
                    .iter()
                    .map(|l| format!("{} of {} {}", l.holding, l.cells, l.level))
                    .collect();
                let counts = counts.join(", ");
                let names: Vec<&str> = holding.iter().map(|l| l.level.as_str()).collect();
                match (spread >= DEPENDS, only) {
                    (_, true) => Some(format!(
                        "{switch}, holds only with {} ({counts})",
                        names.join(" or ")
                    )),
                    (true, false) => Some(format!("{switch} ({counts})")),
                    (false, false) => None,
                }
            })
            .collect()
    }
}

/// Count, for every claim, the cells that can decide it and those where it holds, overall
/// and at each level of each switch. `holds[cell][claim]`.
pub fn summarise(
    claims: &[ClaimSpec],
    switches: &[Switch],
    cells: &[Vec<usize>],
    holds: &[Vec<bool>],
) -> Vec<ClaimStructure> {
    claims
        .iter()
        .enumerate()
        .map(|(index, claim)| {
            let decided: Vec<(&Vec<usize>, bool)> = cells
                .iter()
                .zip(holds)
                .filter(|(cell, _)| applicable(claim, switches, cell))
                .map(|(cell, row)| (cell, row[index]))
                .collect();
            let levels = switches
                .iter()
                .enumerate()
                .flat_map(|(s, switch)| {
                    let decided = &decided;
                    switch.levels.iter().enumerate().map(move |(l, level)| {
                        let at: Vec<bool> = decided
                            .iter()
                            .filter(|(cell, _)| cell[s] == l)
                            .map(|(_, h)| *h)
                            .collect();
                        LevelCount {
                            switch: switch.name.clone(),
                            level: level.name.clone(),
                            cells: at.len(),
                            holding: at.iter().filter(|h| **h).count(),
                        }
                    })
                })
                .collect();
            ClaimStructure {
                claim: claim.id.clone(),
                cells: decided.len(),
                holding: decided.iter().filter(|(_, h)| *h).count(),
                levels,
            }
        })
        .collect()
}

/// The section of RESULTS.md: the design, a table of each claim's share at every level of
/// every switch, the figure, and which switches each claim depends on.
pub fn section(
    spec: &StructureSpec,
    claims: &[ClaimSpec],
    summary: &[ClaimStructure],
    figure: &str,
) -> String {
    let mut text = String::from("## Structural robustness: which claims need which switch?\n\n");
    let levels: Vec<String> = spec
        .switches
        .iter()
        .map(|s| {
            let names: Vec<String> = s
                .levels
                .iter()
                .map(|l| format!("{} ({})", l.name, level_words(l)))
                .collect();
            format!("- {}: {}", s.name, names.join("; "))
        })
        .collect();
    let cell_count = cells(&spec.switches).len();
    let _ = write!(
        text,
        "Every experiment was re-run at each of the {cell_count} cells of the full factorial of these structural switches (the first level of each is the experiments as they are), with {} replicates and a fixed horizon of {} steps per scenario and sweep point, every other parameter as the experiments set it, and every claim decided at every cell by its own test:\n{}\n\n",
        spec.replicates,
        spec.steps,
        levels.join("\n")
    );
    text.push_str(
        "A switch applies to every scenario and sweep that does not set that parameter itself (so `lifelong.toml` stays lifelong and the sweeps' own axes win). A cell that sets a parameter a claim's regimes are defined by cannot decide that claim (it would compare a regime with itself) and is not counted for it. The horizon is short against the regimes' relaxation (docs/MODEL.md §7.11), so each cell decides the claims for the corps after that many steps.\n\n",
    );
    let _ = writeln!(text, "![structural robustness]({figure})\n");
    let mut header = String::from("| claim | holds in |");
    let mut rule = String::from("|---|---|");
    for switch in &spec.switches {
        for level in &switch.levels {
            let _ = write!(header, " {}: {} |", switch.name, level.name);
            rule.push_str("---|");
        }
    }
    let _ = writeln!(text, "{header}\n{rule}");
    for claim in summary {
        let (low, high) = wilson95(claim.holding, claim.cells);
        let mut row = match claim.cells {
            0 => format!("| `{}` | n/a |", claim.claim),
            n => format!(
                "| `{}` | {} of {n} [{low:.2}, {high:.2}] |",
                claim.claim, claim.holding
            ),
        };
        for level in &claim.levels {
            match level.cells {
                0 => row.push_str(" n/a |"),
                n => {
                    let _ = write!(row, " {}/{n} |", level.holding);
                }
            }
        }
        let _ = writeln!(text, "{row}");
    }
    text.push_str("\nThe interval beside each count is Wilson's 95% interval of the share of cells; n/a marks a level at which no cell can decide the claim.\n\n");
    text.push_str(&dependence_text(claims, summary));
    text
}

/// What a level sets, in words: "as the experiments are" or "`key` = value, ...".
fn level_words(level: &Level) -> String {
    if level.settings.is_empty() {
        return "as the experiments are".to_string();
    }
    let parts: Vec<String> = level
        .settings
        .iter()
        .map(|(key, value)| format!("`{key}` = {value}"))
        .collect();
    parts.join(", ")
}

/// One line per claim: the switches it depends on, or that it depends on none.
fn dependence_text(claims: &[ClaimSpec], summary: &[ClaimStructure]) -> String {
    let mut text = format!(
        "Which claims need which switch (a claim depends on a switch when its share of holding cells differs between two of the switch's levels by {DEPENDS} or more, or when it holds in no cell at one of the switch's levels and at another in a share whose Wilson 95% interval lies above that level's):\n"
    );
    for (claim, found) in claims.iter().zip(summary) {
        let depends = found.depends_on();
        let words = match (found.cells, found.holding, depends.is_empty()) {
            (0, _, _) => "no cell can decide it".to_string(),
            (n, h, true) if h == n => "holds in every cell: it needs none of the switches".into(),
            (_, 0, true) => "holds in no cell".into(),
            (_, _, true) => "depends on no single switch (it holds in some cells and not in others, with no switch's levels {DEPENDS} apart and none where it holds in no cell against clearly more at another)".replace("{DEPENDS}", &DEPENDS.to_string()),
            (_, _, false) => format!("depends on {}", depends.join("; ")),
        };
        let long_run = if claim.long_run { " (long run)" } else { "" };
        let _ = writeln!(text, "- `{}`{long_run}: {words}.", claim.id);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switch(name: &str, levels: &[(&str, &[(&str, toml::Value)])]) -> Switch {
        Switch {
            name: name.into(),
            levels: levels
                .iter()
                .map(|(n, set)| Level {
                    name: (*n).into(),
                    settings: set.iter().map(|(k, v)| ((*k).into(), v.clone())).collect(),
                })
                .collect(),
        }
    }

    fn claim(id: &str, regime: &[&str]) -> ClaimSpec {
        ClaimSpec {
            id: id.into(),
            text: String::new(),
            kind: super::super::ClaimKind::Behavioural,
            why: String::new(),
            in_paper: true,
            long_run: false,
            files: Vec::new(),
            regime: regime.iter().map(|k| (*k).into()).collect(),
            explanation: None,
        }
    }

    fn design() -> Vec<Switch> {
        let off = toml::Value::Boolean(false);
        let on = toml::Value::Boolean(true);
        vec![
            switch(
                "socialization",
                &[
                    ("on", &[]),
                    (
                        "weight 0.5",
                        &[("behaviour.socialization_weight", 0.5.into())],
                    ),
                    ("off", &[("behaviour.socialization", off.clone())]),
                ],
            ),
            switch(
                "lifelong",
                &[("off", &[]), ("on", &[("accountability.lifelong", on)])],
            ),
        ]
    }

    #[test]
    fn the_factorial_has_every_combination_with_the_last_switch_fastest() {
        assert_eq!(
            cells(&design()),
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![1, 0],
                vec![1, 1],
                vec![2, 0],
                vec![2, 1]
            ]
        );
    }

    #[test]
    fn a_cell_that_sets_a_regime_parameter_cannot_decide_the_claim() {
        let switches = design();
        let lifelong = claim("lifelong", &["accountability.lifelong"]);
        let trap = claim("lazy-trap", &["behaviour.socialization"]);
        assert!(applicable(&lifelong, &switches, &[2, 0]));
        assert!(!applicable(&lifelong, &switches, &[0, 1]));
        assert!(applicable(&trap, &switches, &[1, 1]));
        assert!(!applicable(&trap, &switches, &[2, 0]));
    }

    #[test]
    fn counts_at_each_level_and_the_switches_a_claim_depends_on() {
        let switches = design();
        let cells = cells(&switches);
        let claims = [
            claim("a", &[]),
            claim("lifelong", &["accountability.lifelong"]),
            claim("b", &[]),
            claim("c", &[]),
        ];
        // "a" holds unless socialization is off; "lifelong" holds everywhere it can be decided;
        // "b" only with socialization on and lifelong off; "c" with socialization on, or with
        // lifelong off.
        let holds: Vec<Vec<bool>> = cells
            .iter()
            .map(|c| {
                vec![
                    c[0] != 2,
                    true,
                    c[0] == 0 && c[1] == 0,
                    c[0] == 0 || c[1] == 0,
                ]
            })
            .collect();
        let summary = summarise(&claims, &switches, &cells, &holds);
        assert_eq!((summary[0].cells, summary[0].holding), (6, 4));
        assert_eq!(
            summary[0].depends_on(),
            vec!["socialization (2 of 2 on, 2 of 2 weight 0.5, 0 of 2 off)".to_string()]
        );
        assert_eq!((summary[1].cells, summary[1].holding), (3, 3));
        let on = &summary[1].levels[4];
        assert_eq!((on.level.as_str(), on.cells, on.share()), ("on", 0, None));
        assert!(summary[1].depends_on().is_empty());
        // Shares 1/2, 0/2, 0/2 (0.5 apart) and 1/3, 0/3: with so few cells, holding in none
        // at a level is not clearly less than 1 of 3 (Wilson intervals overlap).
        assert_eq!(
            summary[2].depends_on(),
            vec!["socialization (1 of 2 on, 0 of 2 weight 0.5, 0 of 2 off)".to_string()]
        );
        // Shares 2/2, 1/2, 1/2 and 3/3, 1/3: 0.5 or more apart, holding at every level.
        assert_eq!(
            summary[3].depends_on(),
            vec![
                "socialization (2 of 2 on, 1 of 2 weight 0.5, 1 of 2 off)".to_string(),
                "lifelong (3 of 3 off, 1 of 3 on)".to_string()
            ]
        );
        let spec = StructureSpec {
            replicates: 8,
            steps: 600,
            switches,
        };
        let text = section(&spec, &claims, &summary, "figures/structure.png");
        assert!(text.contains("| `a` | 4 of 6 [0.30, 0.90] | 2/2 | 2/2 | 0/2 | 2/3 | 2/3 |"));
        assert!(text.contains("| `lifelong` | 3 of 3 [0.44, 1.00] | 1/1 | 1/1 | 1/1 | 3/3 | n/a |"));
        assert!(text.contains("- `lifelong`: holds in every cell: it needs none of the switches."));
    }

    #[test]
    fn a_level_where_a_claim_holds_nowhere_counts_when_another_holds_clearly_more() {
        let level = |switch: &str, level: &str, holding, cells| LevelCount {
            switch: switch.into(),
            level: level.into(),
            cells,
            holding,
        };
        let found = ClaimStructure {
            claim: "c".into(),
            cells: 96,
            holding: 14,
            levels: vec![
                // 14 of 32 against none: Wilson intervals [0.28, 0.61] and [0, 0.11].
                level("socialization", "on", 14, 32),
                level("socialization", "weight 0.5", 0, 32),
                level("socialization", "off", 0, 32),
                // 4 of 48 against none: [0.03, 0.20] and [0, 0.07] overlap.
                level("veto", "on", 4, 48),
                level("veto", "off", 0, 48),
                // 0.42 apart, holding at both levels.
                level("rule", "satisficing", 30, 48),
                level("rule", "logit", 10, 48),
                // No cell can decide it at "on".
                level("lifelong", "off", 14, 96),
                level("lifelong", "on", 0, 0),
            ],
        };
        assert_eq!(
            found.depends_on(),
            vec![
                "socialization, holds only with on (14 of 32 on, 0 of 32 weight 0.5, 0 of 32 off)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn the_first_level_must_be_the_experiments_as_they_are() {
        let text = "[[switch]]\nname = \"veto\"\nlevels = { off = { \"accountability.one_vote_veto\" = false }, on = {} }\n";
        let table: toml::Table = text.parse().unwrap();
        let entries = table["switch"].as_array().unwrap();
        let error = load_switches(entries, "e.toml").unwrap_err().to_string();
        assert!(error.contains("structure.switch[0].levels.off"), "{error}");
        let text = "[[switch]]\nname = \"veto\"\nlevels = { on = {}, off = { \"accountability.one_vote_vet\" = false } }\n";
        let table: toml::Table = text.parse().unwrap();
        let error = load_switches(table["switch"].as_array().unwrap(), "e.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not a known parameter"), "{error}");
        let text = "[[switch]]\nname = \"a\"\nlevels = { on = {}, off = { \"accountability.one_vote_veto\" = false } }\n[[switch]]\nname = \"b\"\nlevels = { x = {}, y = { \"accountability.one_vote_veto\" = true } }\n";
        let table: toml::Table = text.parse().unwrap();
        let error = load_switches(table["switch"].as_array().unwrap(), "e.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("which switch `a` sets too"), "{error}");
        assert_eq!(error.lines().count(), 1);
    }
}

//! The test that decides each of the paper's claims. Each reads only the evidence and
//! returns the numbers it used, the verdict and the test in words.

use super::evidence::{Comparison, Effect, Evidence, EvidenceError, Figure, Quantity, Verdict};
use crate::metrics::is_lazy_governance;
use crate::stats::Estimate;

const PENALTY: &str = "accountability.penalty";

/// A claim's test: reads only the evidence, returns the verdict with its numbers.
pub type Test = fn(&Evidence) -> Result<Verdict, EvidenceError>;

/// Every claim with a test, in the order RESULTS.md lists them: (id, the test deciding it).
pub const CLAIMS: [(&str, Test); 10] = [
    ("pressure-lazy", pressure_lazy),
    ("scoped-tolerance", scoped_tolerance),
    ("umbrella", umbrella),
    ("error-correction", error_correction),
    ("two-factor", two_factor),
    ("tolerance-insufficient", tolerance_insufficient),
    ("lifelong", lifelong),
    ("overweighting", overweighting),
    ("rational-threshold", rational_threshold),
    ("lazy-trap", lazy_trap),
];

/// Decide one claim from the evidence.
pub fn decide(id: &str, evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let (_, test) = CLAIMS
        .iter()
        .find(|(known, _)| *known == id)
        .ok_or_else(|| EvidenceError::Missing(format!("no test for claim `{id}`")))?;
    test(evidence)
}

/// The ids of every claim with a test.
pub fn known_claims() -> impl Iterator<Item = &'static str> {
    CLAIMS.iter().map(|(id, _)| *id)
}

/// A paired difference as a quantity: its name says which minus which and the correlation.
fn difference(name: String, comparison: &Comparison) -> Quantity {
    Quantity::Stat(
        format!("{name} ({})", comparison.correlation_text()),
        comparison.estimate(),
    )
}

/// The test of claim `pressure-lazy`.
fn pressure_lazy(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let curve = evidence.sweep("penalty-curve")?;
    let class = runs.class("pressure")?;
    let off = curve.series(PENALTY, &[("tolerance", "off")], "mean_innovation")?;
    let falling = off.windows(2).all(|w| w[1].1.mean < w[0].1.mean);
    let ids = curve.points(&[("tolerance", "off")]);
    let ends = curve.paired(&ids[0], &ids[ids.len() - 1], "mean_innovation")?;
    let separated = ends.above();
    let welfare = curve.paired(&ids[0], &ids[ids.len() - 1], "welfare")?;
    let mut quantities = vec![
        Quantity::Text("equilibrium class, pressure.toml".into(), class.clone()),
        Quantity::Stat(
            "mean_innovation, pressure.toml".into(),
            runs.all("pressure", "mean_innovation")?,
        ),
        Quantity::Stat(
            "share_idle, pressure.toml".into(),
            runs.all("pressure", "share_idle")?,
        ),
    ];
    quantities.extend(off.iter().map(|(x, s)| {
        Quantity::Stat(
            format!("mean_innovation at penalty {x:.3}, no tolerance"),
            *s,
        )
    }));
    quantities.push(difference(
        "mean_innovation, lowest minus highest penalty, no tolerance".into(),
        &ends,
    ));
    Ok(Verdict {
        holds: is_lazy_governance(&class) && falling && separated,
        test: "the most frequent class of pressure.toml is lazy governance (lazy-idle or lazy-routine); along penalty-curve without tolerance mean_innovation falls at every step, and the paired 95% interval of mean_innovation at the lowest minus the highest penalty lies above 0".into(),
        quantities,
        figure: Figure::Chart(curve.dir.join("charts/curve-mean_innovation.png")),
        effect: Effect::paired(
            "mean_innovation, lowest minus highest penalty, no tolerance",
            &ends,
        ),
        welfare: Some(Effect::paired(
            "lowest minus highest penalty, no tolerance",
            &welfare,
        )),
    })
}

/// The test of claim `scoped-tolerance`.
fn scoped_tolerance(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let curve = evidence.sweep("penalty-curve")?;
    let mut holds = true;
    let mut quantities = Vec::new();
    let mut at_default = Vec::new();
    let default = crate::params::Params::default().accountability.penalty;
    for metric in ["mean_innovation", "welfare"] {
        let off = curve.series(PENALTY, &[("tolerance", "off")], metric)?;
        let scoped = curve.series(PENALTY, &[("tolerance", "scoped")], metric)?;
        let off_ids = curve.points(&[("tolerance", "off")]);
        let scoped_ids = curve.points(&[("tolerance", "scoped")]);
        for (index, ((x, o), (_, s))) in off.iter().zip(&scoped).enumerate() {
            if *x < 2.0 - 1e-9 {
                continue;
            }
            let comparison = curve.paired(&scoped_ids[index], &off_ids[index], metric)?;
            holds &= comparison.above();
            if (x - default).abs() < 1e-9 {
                let what = format!("at penalty {x:.3} (the default), scoped minus none");
                at_default.push(Effect::paired(what, &comparison));
            }
            quantities.push(Quantity::Stat(
                format!("{metric} at penalty {x:.3}, no tolerance"),
                *o,
            ));
            quantities.push(Quantity::Stat(
                format!("{metric} at penalty {x:.3}, scoped tolerance"),
                *s,
            ));
            quantities.push(difference(
                format!("{metric} at penalty {x:.3}, scoped minus none"),
                &comparison,
            ));
        }
    }
    Ok(Verdict {
        holds,
        test: "at every penalty >= 2 of penalty-curve, the paired 95% interval of the difference scoped minus no tolerance lies above 0, for mean_innovation and for welfare".into(),
        quantities,
        figure: Figure::Chart(curve.dir.join("charts/curve-welfare.png")),
        welfare: at_default.get(1).cloned(),
        effect: at_default.first().cloned().ok_or_else(|| {
            EvidenceError::Missing(format!(
                "{}: no point at the default penalty {default}",
                curve.dir.display()
            ))
        })?,
    })
}

/// The test of claim `umbrella`.
fn umbrella(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let mut holds = true;
    let mut quantities = Vec::new();
    for metric in ["wrongly_exempted", "private_gain"] {
        let scoped = runs.all("ft-scoped", metric)?;
        quantities.push(Quantity::Stat(format!("{metric}, ft-scoped"), scoped));
        for other in ["ft-blanket", "ft-poor-screening"] {
            let value = runs.all(other, metric)?;
            let comparison = runs.paired(other, "ft-scoped", metric)?;
            holds &= comparison.above();
            quantities.push(Quantity::Stat(format!("{metric}, {other}"), value));
            quantities.push(difference(
                format!("{metric}, {other} minus ft-scoped"),
                &comparison,
            ));
        }
    }
    // Context, not part of the test: what poor screening does besides exempting.
    for metric in ["wrongly_sanctioned", "mean_innovation", "abuse_rate"] {
        let comparison = runs.paired("ft-poor-screening", "ft-scoped", metric)?;
        quantities.push(Quantity::Stat(
            format!("{metric}, ft-scoped"),
            runs.all("ft-scoped", metric)?,
        ));
        quantities.push(Quantity::Stat(
            format!("{metric}, ft-poor-screening"),
            runs.all("ft-poor-screening", metric)?,
        ));
        quantities.push(difference(
            format!("{metric}, ft-poor-screening minus ft-scoped"),
            &comparison,
        ));
    }
    let effect = runs.paired("ft-blanket", "ft-scoped", "wrongly_exempted")?;
    let welfare = runs.paired("ft-scoped", "ft-blanket", "welfare")?;
    Ok(Verdict {
        effect: Effect::paired("wrongly_exempted, ft-blanket minus ft-scoped", &effect),
        welfare: Some(Effect::paired("ft-scoped minus ft-blanket", &welfare)),
        holds,
        test: "the paired 95% intervals of ft-blanket minus ft-scoped and of ft-poor-screening minus ft-scoped lie above 0, for wrongly_exempted and for private_gain (per step, equilibrium); the last rows are context, not part of the test".into(),
        quantities,
        figure: Figure::Regimes {
            dir: runs.dir.clone(),
            scenarios: vec!["ft-scoped", "ft-blanket", "ft-poor-screening"],
            metrics: vec!["wrongly_exempted", "private_gain", "wrongly_sanctioned", "mean_innovation"],
            title: "Tolerance as an umbrella? Scope and screening (level all, 95% CI)",
        },
    })
}

/// The test of claim `error-correction`.
fn error_correction(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let damage = (
        runs.all("ft-scoped", "damage")?,
        runs.all("ft-no-correction", "damage")?,
    );
    let welfare = (
        runs.all("ft-scoped", "welfare")?,
        runs.all("ft-no-correction", "welfare")?,
    );
    let more_damage = runs.paired("ft-no-correction", "ft-scoped", "damage")?;
    let less_welfare = runs.paired("ft-scoped", "ft-no-correction", "welfare")?;
    Ok(Verdict {
        effect: Effect::paired("damage, ft-no-correction minus ft-scoped", &more_damage),
        welfare: Some(Effect::paired("ft-scoped minus ft-no-correction", &less_welfare)),
        holds: more_damage.above() && less_welfare.above(),
        test: "the paired 95% interval of damage, ft-no-correction minus ft-scoped, and that of welfare, ft-scoped minus ft-no-correction, both lie above 0".into(),
        quantities: vec![
            Quantity::Stat("damage, ft-scoped".into(), damage.0),
            Quantity::Stat("damage, ft-no-correction".into(), damage.1),
            Quantity::Stat("welfare, ft-scoped".into(), welfare.0),
            Quantity::Stat("welfare, ft-no-correction".into(), welfare.1),
            difference("damage, ft-no-correction minus ft-scoped".into(), &more_damage),
            difference("welfare, ft-scoped minus ft-no-correction".into(), &less_welfare),
        ],
        figure: Figure::Regimes {
            dir: runs.dir.clone(),
            scenarios: vec!["ft-scoped", "ft-no-correction"],
            metrics: vec!["damage", "welfare"],
            title: "Tolerance with and without error correction (level all, 95% CI)",
        },
    })
}

/// The test of claim `two-factor`.
fn two_factor(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let innovation = |s: &str| runs.all(s, "mean_innovation");
    let (pressure, alone, scoped, both) = (
        innovation("pressure")?,
        innovation("incentives")?,
        innovation("ft-scoped")?,
        innovation("ft-incentives")?,
    );
    let effect_alone = alone.mean - pressure.mean;
    let effect_tolerance = scoped.mean - pressure.mean;
    let effect_with = both.mean - scoped.mean;
    let mut highest = true;
    let mut closest: Option<(String, Comparison)> = None;
    for other in [
        "pressure",
        "ft-scoped",
        "ft-blanket",
        "ft-poor-screening",
        "ft-no-correction",
        "incentives",
        "lifelong",
        "adaptive-markup",
    ] {
        let comparison = runs.paired("ft-incentives", other, "mean_innovation")?;
        highest &= comparison.above();
        let nearer = closest
            .as_ref()
            .is_none_or(|(_, c)| comparison.paired.difference.mean < c.paired.difference.mean);
        if nearer {
            closest = Some((other.to_string(), comparison));
        }
    }
    let (runner_up, margin) = closest.expect("regimes to compare");
    let [additive, logit] = interaction_contrasts(runs, "mean_innovation")?;
    let welfare = Effect {
        what: "interaction contrast, additive scale".into(),
        ..interaction_contrasts(runs, "welfare")?[0].clone()
    };
    let complementary = additive.sign() == 1 && logit.sign() == 1;
    Ok(Verdict {
        effect: additive.clone(),
        welfare: Some(welfare),
        holds: effect_alone < effect_tolerance / 3.0 && complementary,
        test: format!("incentives alone raise mean_innovation by less than a third of what scoped tolerance does, and they help more with tolerance than without: the 95% intervals of the interaction contrast (ft-incentives − ft-scoped) − (incentives − pressure), per replicate, lie above 0 on the additive and on the logit scale (a contrast of one sign on one scale only depends on the scale, not on the factors). Context, not part of the test: ft-incentives has the highest innovation of all regimes ({})", match highest {
            true => "every paired interval of its difference from another regime lies above 0",
            false => "not every paired interval of its difference from another regime lies above 0",
        }),
        quantities: vec![
            Quantity::Stat("mean_innovation, pressure".into(), pressure),
            Quantity::Stat("mean_innovation, incentives (no tolerance)".into(), alone),
            Quantity::Stat("mean_innovation, ft-scoped".into(), scoped),
            Quantity::Stat("mean_innovation, ft-incentives".into(), both),
            Quantity::Value("effect of incentives without tolerance".into(), effect_alone),
            Quantity::Value("effect of scoped tolerance".into(), effect_tolerance),
            Quantity::Value("effect of incentives with tolerance".into(), effect_with),
            difference(
                format!("mean_innovation, ft-incentives minus the next highest ({runner_up})"),
                &margin,
            ),
            contrast_quantity(&additive),
            contrast_quantity(&logit),
        ],
        figure: Figure::Interaction {
            dir: runs.dir.clone(),
            x_factor: "fault tolerance",
            x_levels: ["off", "scoped"],
            line_levels: ["without incentives", "with incentives"],
            cells: [["pressure", "ft-scoped"], ["incentives", "ft-incentives"]],
            metric: "mean_innovation",
            title: "Two-factor theory: tolerance x incentives (level all, 95% CI)",
        },
    })
}

/// The test of claim `tolerance-insufficient`.
fn tolerance_insufficient(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let runs = evidence.run("regimes")?;
    let (alone, both) = (runs.class("ft-scoped")?, runs.class("ft-incentives")?);
    let lift = runs.paired("ft-incentives", "ft-scoped", "mean_innovation")?;
    let welfare = runs.paired("ft-incentives", "ft-scoped", "welfare")?;
    let mut quantities = vec![
        Quantity::Text("equilibrium class, ft-scoped".into(), alone.clone()),
        Quantity::Text("equilibrium class, ft-incentives".into(), both.clone()),
    ];
    for scenario in ["pressure", "ft-scoped", "ft-incentives"] {
        quantities.push(Quantity::Stat(
            format!("mean_innovation, {scenario}"),
            runs.all(scenario, "mean_innovation")?,
        ));
    }
    for scenario in ["ft-scoped", "ft-incentives"] {
        quantities.push(Quantity::Stat(
            format!("share of replicates innovative, {scenario}"),
            runs.all(scenario, "class_innovative")?,
        ));
    }
    quantities.push(difference(
        "mean_innovation, ft-incentives minus ft-scoped".into(),
        &lift,
    ));
    Ok(Verdict {
        holds: alone != "innovative" && both == "innovative",
        test: "the most frequent equilibrium class of ft-scoped (tolerance without incentives) is not `innovative`, and that of ft-incentives (tolerance with incentives) is".into(),
        quantities,
        figure: Figure::Regimes {
            dir: runs.dir.clone(),
            scenarios: vec!["pressure", "ft-scoped", "ft-incentives"],
            metrics: vec!["mean_innovation", "welfare"],
            title: "Tolerance with and without incentives (level all, 95% CI)",
        },
        effect: Effect::paired("mean_innovation, ft-incentives minus ft-scoped", &lift),
        welfare: Some(Effect::paired("ft-incentives minus ft-scoped", &welfare)),
    })
}

/// The tolerance × incentives interaction of a metric, replicate by replicate (common random
/// numbers): (ft-incentives − ft-scoped) − (incentives − pressure), on the additive scale and
/// on the logit scale (the metric a share), each a mean with its t-based 95% interval.
fn interaction_contrasts(
    runs: &super::evidence::RunEvidence,
    metric: &str,
) -> Result<[Effect; 2], EvidenceError> {
    let cells = ["pressure", "incentives", "ft-scoped", "ft-incentives"]
        .map(|scenario| runs.values(scenario, metric));
    let [pressure, alone, scoped, both] = cells;
    let (pressure, alone, scoped, both) = (pressure?, alone?, scoped?, both?);
    let contrast = |scale: fn(f64) -> f64| -> Vec<f64> {
        (0..pressure
            .len()
            .min(alone.len())
            .min(scoped.len())
            .min(both.len()))
            .map(|r| (scale(both[r]) - scale(scoped[r])) - (scale(alone[r]) - scale(pressure[r])))
            .collect()
    };
    let name = |scale: &str| format!("interaction contrast of {metric}, {scale} scale");
    Ok([
        Effect::of(name("additive"), &crate::stats::spread(&contrast(|x| x))),
        Effect::of(name("logit"), &crate::stats::spread(&contrast(logit))),
    ])
}

/// The log-odds of a share, kept finite at 0 and 1.
fn logit(share: f64) -> f64 {
    let p = share.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// An effect as a quantity of a claim's table.
fn contrast_quantity(effect: &Effect) -> Quantity {
    let (low, high) = effect.ci95.unwrap_or((effect.value, effect.value));
    Quantity::Stat(
        effect.what.clone(),
        Estimate {
            mean: effect.value,
            low,
            high,
        },
    )
}

/// The test of claim `lifelong`.
fn lifelong(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let innovation = (
        runs.all("pressure", "mean_innovation")?,
        runs.all("lifelong", "mean_innovation")?,
    );
    let idle = (
        runs.all("pressure", "share_idle")?,
        runs.all("lifelong", "share_idle")?,
    );
    let lower = runs.paired("pressure", "lifelong", "mean_innovation")?;
    let welfare = runs.paired("pressure", "lifelong", "welfare")?;
    Ok(Verdict {
        effect: Effect::paired("mean_innovation, pressure minus lifelong", &lower),
        welfare: Some(Effect::paired("pressure minus lifelong", &welfare)),
        holds: lower.above(),
        test: "the paired 95% interval of mean_innovation, pressure.toml minus lifelong.toml, lies above 0".into(),
        quantities: vec![
            Quantity::Stat("mean_innovation, pressure".into(), innovation.0),
            Quantity::Stat("mean_innovation, lifelong".into(), innovation.1),
            difference("mean_innovation, pressure minus lifelong".into(), &lower),
            Quantity::Stat("share_idle, pressure".into(), idle.0),
            Quantity::Stat("share_idle, lifelong".into(), idle.1),
        ],
        figure: Figure::Regimes {
            dir: runs.dir.clone(),
            scenarios: vec!["pressure", "lifelong"],
            metrics: vec!["mean_innovation", "share_idle"],
            title: "Lifelong accountability against pressure alone (level all, 95% CI)",
        },
    })
}

/// The test of claim `overweighting`.
fn overweighting(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let regimes = || evidence.run("regimes");
    let runs = regimes()?;
    let markup = (
        runs.all("pressure", "markup")?,
        runs.all("adaptive-markup", "markup")?,
    );
    let levels = runs.levels("adaptive-markup");
    let idle: Vec<Estimate> = levels
        .iter()
        .map(|level| runs.get("adaptive-markup", level, "share_idle"))
        .collect::<Result<_, _>>()?;
    let rising = idle.len() >= 2 && idle.windows(2).all(|w| w[1].mean > w[0].mean);
    let raised = runs.paired("adaptive-markup", "pressure", "markup")?;
    let welfare = runs.paired("pressure", "adaptive-markup", "welfare")?;
    let mut quantities = vec![
        Quantity::Stat("mean markup, fixed markups (pressure)".into(), markup.0),
        Quantity::Stat("mean markup, adaptive-markup".into(), markup.1),
        difference("mean markup, adaptive minus fixed".into(), &raised),
    ];
    quantities.extend(
        levels
            .iter()
            .zip(&idle)
            .map(|(l, s)| Quantity::Stat(format!("share_idle at {l}, adaptive-markup"), *s)),
    );
    Ok(Verdict {
        effect: Effect::paired("markup, adaptive minus fixed", &raised),
        welfare: Some(Effect::paired(
            "fixed markups (pressure) minus adaptive-markup",
            &welfare,
        )),
        holds: raised.above() && rising,
        test: "the paired 95% interval of the equilibrium markup, adaptive minus fixed, lies above 0, and mean share_idle rises at every level down the hierarchy (a chance ordering of four levels has probability 1/24)".into(),
        quantities,
        figure: Figure::Chart(runs.dir.join("charts/levels-adaptive-markup.png")),
    })
}

/// The test of claim `rational-threshold`.
fn rational_threshold(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let sweep = evidence.sweep("rational-vs-bounded")?;
    let largest_step = |rule: &str| -> Result<f64, EvidenceError> {
        let series = sweep.series(PENALTY, &[("rule", rule)], "mean_innovation")?;
        let means: Vec<f64> = series.iter().map(|(_, s)| s.mean).collect();
        let range = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - means.iter().cloned().fold(f64::INFINITY, f64::min);
        let step = means
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f64::max);
        Ok(if range > 0.0 { step / range } else { 0.0 })
    };
    let (rational, bounded) = (largest_step("rational")?, largest_step("satisficing")?);
    let mut quantities = vec![
        Quantity::Value(
            "largest change between neighbouring penalties / total range, rational".into(),
            rational,
        ),
        Quantity::Value(
            "largest change between neighbouring penalties / total range, satisficing".into(),
            bounded,
        ),
    ];
    for rule in ["rational", "satisficing"] {
        for (x, s) in sweep.series(PENALTY, &[("rule", rule)], "mean_innovation")? {
            quantities.push(Quantity::Stat(
                format!("mean_innovation at penalty {x:.3}, {rule}"),
                s,
            ));
        }
    }
    Ok(Verdict {
        effect: Effect {
            what: "largest share of the fall between neighbouring penalties, rational minus satisficing".into(),
            value: rational - bounded,
            ci95: None,
        },
        welfare: None,
        holds: rational >= 0.5 && bounded <= 0.35,
        test: "abrupt: under the rational rule at least half of the whole fall of mean_innovation happens between two neighbouring penalties of the (log-spaced, 16-point) sweep; smooth: under satisficing no single step carries more than 35% of it".into(),
        quantities,
        figure: Figure::Chart(sweep.dir.join("charts/curve-mean_innovation.png")),
    })
}

/// The test of claim `lazy-trap`.
fn lazy_trap(evidence: &Evidence) -> Result<Verdict, EvidenceError> {
    let sweep = evidence.sweep("lazy-trap")?;
    let ends = |socialization: &str| -> Result<(Estimate, Estimate), EvidenceError> {
        let outbound = sweep.series(
            PENALTY,
            &[("socialization", socialization), ("branch", "outbound")],
            "mean_innovation",
        )?;
        let back = sweep.series(
            PENALTY,
            &[("socialization", socialization), ("branch", "return")],
            "mean_innovation",
        )?;
        Ok((outbound[0].1, back[back.len() - 1].1))
    };
    let (on_start, on_end) = ends("on")?;
    let (off_start, off_end) = ends("off")?;
    let recovery_on = on_end.mean / on_start.mean;
    let recovery_off = off_end.mean / off_start.mean;
    let outbound = sweep.points(&[("socialization", "on"), ("branch", "outbound")]);
    let back = sweep.points(&[("socialization", "on"), ("branch", "return")]);
    let trapped = sweep.paired(&outbound[0], &back[back.len() - 1], "mean_innovation")?;
    let welfare = sweep.paired(&outbound[0], &back[back.len() - 1], "welfare")?;
    Ok(Verdict {
        effect: Effect::paired(
            "mean_innovation at the start, out minus back, socialization on",
            &trapped,
        ),
        welfare: Some(Effect::paired(
            "at the start, out minus back, socialization on",
            &welfare,
        )),
        holds: trapped.above() && recovery_off > recovery_on,
        test: "with socialization, the paired 95% interval of mean_innovation at the starting penalty on the way out minus back there at the end of the return branch lies above 0; and the share recovered (return / outbound) is larger without socialization".into(),
        quantities: vec![
            Quantity::Stat("mean_innovation at the start, socialization on".into(), on_start),
            Quantity::Stat("mean_innovation back at the start, socialization on".into(), on_end),
            Quantity::Stat("mean_innovation at the start, socialization off".into(), off_start),
            Quantity::Stat("mean_innovation back at the start, socialization off".into(), off_end),
            difference(
                "mean_innovation at the start, out minus back, socialization on".into(),
                &trapped,
            ),
            Quantity::Value("share recovered, socialization on".into(), recovery_on),
            Quantity::Value("share recovered, socialization off".into(), recovery_off),
        ],
        figure: Figure::Chart(sweep.dir.join("charts/curve-mean_innovation.png")),
    })
}

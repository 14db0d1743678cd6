//! `cadresim discover DIR --where CONDITION`: the study's PRIM on a finished sweep, with a
//! summary of the chosen box in the terminal.

use super::CommandError;
use crate::cli::DiscoverArgs;
use cadresim::discovery::Discovery;
use cadresim::study::discover::{discover, limit_words, DiscoverOutcome, DiscoverRequest};

pub(crate) fn run_discover(args: DiscoverArgs) -> Result<i32, CommandError> {
    let request = DiscoverRequest {
        dir: args.dir,
        condition: args.condition,
        level: args.level,
        alpha: args.alpha,
        min_mass: args.min_mass,
        chosen: args.chosen,
        resamples: args.resamples,
        out: args.out,
        force: args.force,
        size: args.size,
    };
    let DiscoverOutcome { title, found, out } = discover(&request)?;
    print!("{}", summary(&title, &found));
    println!("discovery: {}", out.display());
    Ok(0)
}

/// The printed summary: the box in one sentence, then its statistics.
fn summary(title: &str, found: &Discovery) -> String {
    let chosen = &found.reported;
    let limits: Vec<String> = found
        .restrictions
        .iter()
        .map(|r| format!("{} {}", r.row.parameter, limit_words(r)))
        .collect();
    let mut text = format!(
        "{title} in {:.0}% of this box, which holds {:.0}% of all such cases: {}\n",
        100.0 * chosen.density,
        100.0 * chosen.coverage,
        if limits.is_empty() {
            "no restriction (the whole sweep)".to_string()
        } else {
            limits.join(", ")
        }
    );
    for r in &found.restrictions {
        let mut notes: Vec<String> = r
            .row
            .p_value
            .map(|p| format!("quasi-p {p:.3}"))
            .into_iter()
            .collect();
        if let Some(share) = r.row.inclusion {
            notes.push(format!("in {:.0}% of the resamples", 100.0 * share));
        }
        text.push_str(&format!(
            "  {} {}  ({})\n",
            r.row.parameter,
            limit_words(r),
            notes.join(", ")
        ));
    }
    if !found.dropped.is_empty() {
        text.push_str(&format!(
            "dropped by bagging (in fewer than 80% of the resamples' boxes): {}\n",
            found.dropped.join(", ")
        ));
    }
    if found.spurious {
        text.push_str("warning: the box restricts the dummy factor (uniform noise, which no outcome depends on): it fits noise; do not report it\n");
    }
    text.push_str(&format!(
        "box {} of {}{}: coverage {:.3}, density {:.3}, mass {:.3} ({} of {} cases; {} of interest overall)\n",
        found.chosen,
        found.trajectory.len() - 1,
        if found.dropped.is_empty() {
            ""
        } else {
            " without the dropped restrictions"
        },
        chosen.coverage,
        chosen.density,
        chosen.mass,
        chosen.n,
        found.cases,
        found.of_interest
    ));
    text
}

//! `cadresim discover DIR --where CONDITION`: the study's PRIM on a finished sweep, with a
//! summary of the chosen box in the terminal.

use super::CommandError;
use crate::cli::DiscoverArgs;
use crate::discovery::Discovery;
use crate::study::discover::{discover, limit_words, DiscoverOutcome, DiscoverRequest};

pub(crate) fn run_discover(args: DiscoverArgs) -> Result<i32, CommandError> {
    let request = DiscoverRequest {
        dir: args.dir,
        condition: args.condition,
        level: args.level,
        alpha: args.alpha,
        min_mass: args.min_mass,
        chosen: args.chosen,
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
    let chosen = &found.trajectory[found.chosen];
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
        let p = r
            .row
            .p_value
            .map(|p| format!("quasi-p {p:.3}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "  {} {}  ({p})\n",
            r.row.parameter,
            limit_words(r)
        ));
    }
    text.push_str(&format!(
        "box {} of {}: coverage {:.3}, density {:.3}, mass {:.3} ({} of {} cases; {} of interest overall)\n",
        found.chosen,
        found.trajectory.len() - 1,
        chosen.coverage,
        chosen.density,
        chosen.mass,
        chosen.n,
        found.cases,
        found.of_interest
    ));
    text
}

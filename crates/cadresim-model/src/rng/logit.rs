//! The two draws of the model that are arithmetic on a stream's uniforms and normals rather
//! than one call: the log-normal multiplier (capacities, abilities) and the logit choice of
//! an action (single-precision weights through `expf`, then a branch-free pick).

use crate::params::MAX_ACTIONS;
use crate::rng::expf::expf;
use crate::rng::Stream;

/// exp(s Z - s^2/2): a log-normal multiplier with mean 1.
pub fn lognormal_mean_one(stream: &mut Stream, sd: f64) -> f64 {
    if sd == 0.0 {
        return 1.0;
    }
    (sd * stream.normal() - 0.5 * sd * sd).exp()
}

/// Draw an action with P(a) proportional to exp(beta A[a]), computed stably (subtracting
/// the largest attraction; weights in single precision).
#[inline(always)]
pub fn logit_choice(attraction: &[f32], beta: f64, stream: &mut Stream) -> u8 {
    let max = attraction.iter().fold(f32::NEG_INFINITY, |m, &a| m.max(a));
    let beta = beta as f32;
    let mut weights = [0.0f32; MAX_ACTIONS];
    let mut total = 0.0f32;
    for (weight, &a) in weights.iter_mut().zip(attraction) {
        *weight = expf(beta * (a - max));
        total += *weight;
    }
    let threshold = (stream.uniform() * total as f64) as f32;
    pick_by_threshold(&weights[..attraction.len()], threshold) as u8
}

/// The first action whose weight exceeds what is left of the threshold after subtracting
/// the weights before it; when rounding leaves the threshold at the total, the last action
/// with positive weight. Branch-free: the chosen action is random, so a branch on it would
/// be mispredicted about every other call.
#[inline]
fn pick_by_threshold(weights: &[f32], mut threshold: f32) -> usize {
    let none = weights.len();
    let mut chosen = none;
    let mut last_possible = 0;
    for (action, &weight) in weights.iter().enumerate() {
        let first_hit = chosen == none && threshold < weight;
        chosen = if first_hit { action } else { chosen };
        last_possible = if weight > 0.0 { action } else { last_possible };
        threshold -= weight;
    }
    if chosen == none {
        last_possible
    } else {
        chosen
    }
}

"""The cadre model of MODEL.md written idiomatically in Mesa, for the speed comparison in
README "Performance". Not part of cadresim: a yardstick.

Scope: the default (pressure) regime of MODEL.md at its defaults -- the default four-level
hierarchy, satisficing learning with loss aversion, errors with veto classes, detection,
sanctions and the one-vote veto, the tournament, payoffs, turnover with socialization --
with one Mesa `Agent` per cadre, phases run through `AgentSet.do`, and a `DataCollector`
recording the step's metrics. Fault tolerance, lifelong accountability, schedules and the
other rules are left out (they are off at the defaults).

    pip install mesa==3.3.1
    python3 benches/mesa/cadres_mesa.py --steps 50

prints the cadre-steps per second of the steps (setup excluded) and the mean innovation of
the last step (about 0.1 after 200 steps, as in `cadresim run scenarios/pressure.toml`).
"""

import argparse
import math
import time

import mesa

LEVELS = [("province", 4, 6), ("prefecture", 4, 8), ("county", 4, 10), ("township", 5, 12)]
K = 4
EFFORT = [0.4] + [1.0] * (K + 1)
INTENSITY = [0.0, 0.0] + [k / K for k in range(1, K + 1)]
ACTIONS = K + 2
P = dict(
    capacity_sd=0.15, ability_sd=0.2, psm_alpha=2.0, psm_beta=2.0, opportunist_share=0.1,
    turnover=0.03, self_serving_rate=0.5, innovation_success=0.5, innovation_gain=1.2,
    private_gain=0.8, routine_error=0.02, violation_error=0.3, innovation_error=0.15,
    veto_share=0.2, detection=0.5, penalty=8.0, veto_multiplier=2.5, veto_dismissal=0.5,
    error_damage=1.0, damage_persistence=2.0, salary=1.0, psm_weight=0.4, effort_cost=0.3,
    innovation_cost=0.2, miss_penalty=1.0, promotion_reward=2.0, promotion_quota=0.15,
    evaluation_noise=0.1, loss_aversion=2.25, recency=0.2, vicarious=0.1, peers_observed=2,
    aspiration_rate=0.1, explore=0.02, rationality=4.0, markup=0.08,
)


def lognormal_mean_one(rng, sd):
    return math.exp(sd * rng.gauss(0.0, 1.0) - 0.5 * sd * sd)


def logit(rng, attraction):
    top = max(attraction)
    weights = [math.exp(P["rationality"] * (a - top)) for a in attraction]
    return rng.choices(range(ACTIONS), weights=weights)[0]


class Unit:
    def __init__(self, rng, target, cadres):
        self.capacity = lognormal_mean_one(rng, P["capacity_sd"])
        self.target = target
        self.cadres = cadres


class Cadre(mesa.Agent):
    def __init__(self, model, unit, group):
        super().__init__(model)
        self.unit = unit
        self.group = group
        self.recruit(None)

    def recruit(self, mean_attraction):
        rng = self.model.random
        self.ability = lognormal_mean_one(rng, P["ability_sd"])
        self.psm = rng.betavariate(P["psm_alpha"], P["psm_beta"])
        self.opportunist = rng.random() < P["opportunist_share"]
        self.proneness = 1.0
        self.aspiration = 0.0
        self.tenure = 0
        if mean_attraction is None:
            self.attraction = [0.0] * ACTIONS
            self.action = rng.randrange(ACTIONS)
        else:
            self.attraction = list(mean_attraction)
            self.action = logit(rng, self.attraction)

    def act(self):
        """Phases 1-7 and the payoff before promotion."""
        rng = self.model.random
        e, x = EFFORT[self.action], INTENSITY[self.action]
        self_serving = x > 0 and self.opportunist and rng.random() < P["self_serving_rate"]
        honest = x > 0 and not self_serving
        success = honest and rng.random() < P["innovation_success"]
        self.success_x = x if success else 0.0
        self.output = self.ability * self.unit.capacity * (e + P["innovation_gain"] * self.success_x)
        self.private_gain = P["private_gain"] * x if self_serving else 0.0
        errors = 0
        if rng.random() < self.proneness * P["routine_error"] * e:
            errors += 1
        if self_serving:
            errors += rng.random() < P["violation_error"] * x
        elif x > 0:
            errors += rng.random() < self.proneness * P["innovation_error"] * x
        self.sanctions, self.vetoed, self.damage, self.errors = 0.0, False, 0.0, errors
        self.sanctioned = self.veto_events = 0
        for _ in range(errors):
            veto = rng.random() < P["veto_share"]
            if rng.random() < P["detection"]:
                self.damage += P["error_damage"]
                self.sanctioned += 1
                if veto:
                    self.sanctions += P["penalty"] * P["veto_multiplier"]
                    self.vetoed = True
                    self.veto_events += 1
                else:
                    self.sanctions += P["penalty"]
            else:
                self.damage += P["error_damage"] * P["damage_persistence"]
        self.attainment = self.output / self.unit.target
        shortfall = max(0.0, 1.0 - self.attainment)
        intrinsic = P["psm_weight"] * self.psm * x if honest else 0.0
        self.payoff = (P["salary"] + intrinsic + self.private_gain - P["effort_cost"] * e
                       - P["innovation_cost"] * x - self.sanctions - P["miss_penalty"] * shortfall)

    def feel(self):
        self.felt = self.payoff - (P["loss_aversion"] - 1.0) * self.sanctions
        self.old_action = self.action

    def learn(self):
        rng = self.model.random
        a = self.attraction
        a[self.old_action] = (1 - P["recency"]) * a[self.old_action] + P["recency"] * self.felt
        peers = self.group
        for _ in range(P["peers_observed"]):
            peer = self
            while peer is self:
                peer = rng.choice(peers)
            seen = peer.old_action
            a[seen] = (1 - P["vicarious"]) * a[seen] + P["vicarious"] * peer.felt
        satisfied = self.payoff >= self.aspiration
        self.aspiration = (1 - P["aspiration_rate"]) * self.aspiration + P["aspiration_rate"] * self.payoff
        if not satisfied or rng.random() < P["explore"]:
            self.action = logit(rng, a)


class CadreModel(mesa.Model):
    def __init__(self, seed=1):
        super().__init__(seed=seed)
        # Each level's units under one parent (the centre for the top level) form one
        # peer group of their cadres.
        self.groups = []
        parent_targets = [1.0]
        for _, branching, cadres in LEVELS:
            targets = []
            for parent_target in parent_targets:
                group = []
                for _ in range(branching):
                    unit = Unit(self.random, parent_target * (1 + P["markup"]), cadres)
                    targets.append(unit.target)
                    group.extend(Cadre(self, unit, group) for _ in range(cadres))
                self.groups.append(group)
            parent_targets = targets
        self.datacollector = mesa.DataCollector(model_reporters={
            "mean_innovation": lambda m: sum(INTENSITY[c.action] for c in m.agents) / len(m.agents),
            "share_idle": lambda m: sum(c.action == 0 for c in m.agents) / len(m.agents),
            "errors": lambda m: sum(m.agents.get("errors")),
            "sanctioned": lambda m: sum(m.agents.get("sanctioned")),
            "output": lambda m: sum(m.agents.get("output")),
        })

    def tournament(self, group):
        rng = self.random
        for c in group:
            c.score = c.attainment + P["evaluation_noise"] * rng.gauss(0.0, 1.0)
        quota = max(1, math.floor(P["promotion_quota"] * len(group) + 0.5))
        candidates = sorted((c for c in group if not c.vetoed), key=lambda c: -c.score)
        for c in candidates[:quota]:
            c.payoff += P["promotion_reward"]

    def turnover(self, group):
        rng = self.random
        mean = [sum(c.attraction[a] for c in group) / len(group) for a in range(ACTIONS)]
        for c in group:
            dismissed = c.vetoed and rng.random() < P["veto_dismissal"]
            leaves = dismissed or rng.random() < P["turnover"]
            c.tenure += 1
            if leaves:
                c.recruit(mean)

    def step(self):
        self.agents.do("act")
        for group in self.groups:
            self.tournament(group)
        self.agents.do("feel")
        self.datacollector.collect(self)
        self.agents.do("learn")
        for group in self.groups:
            self.turnover(group)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    model = CadreModel(seed=args.seed)
    cadres = len(model.agents)
    start = time.perf_counter()
    for _ in range(args.steps):
        model.step()
    seconds = time.perf_counter() - start
    last = model.datacollector.get_model_vars_dataframe().iloc[-1]
    print(f"{cadres} cadres, {args.steps} steps in {seconds:.2f} s: "
          f"{cadres * args.steps / seconds / 1e6:.3f} M cadre-steps/s, "
          f"{seconds / (cadres * args.steps) * 1e9:.0f} ns per cadre-step; "
          f"last step mean_innovation {last['mean_innovation']:.3f}")


if __name__ == "__main__":
    main()

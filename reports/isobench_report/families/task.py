"""TASK — long-memory tasks (docs/RESEARCH.md §3 TASK): RNNs and LSTMs on the copy and adding
tasks. Figure: training loss against steps with each task's trivial-solution loss; verdict: in
how many configurations the network beats that baseline. The family module
(families/__init__.py: the interface).
"""
import math

from ..inputs import counters, groups_by_config, mean_spread, ok_runs, short_label, varying_keys
from ..tables import fmt
from ..training import claim_verdict, fig_curves, keep_drawn
from . import Family


def task_verdict(runs):
    rows = []
    for cfg, items in groups_by_config(ok_runs(runs)).items():
        fl, _, n = mean_spread([counters(b).get("final_loss") for _, b in items])
        bl, _, _ = mean_spread([counters(b).get("baseline_loss") for _, b in items])
        if fl is not None and bl is not None and n:
            rows.append((cfg, fl, bl))
    if not rows:
        return None
    beat = [r for r in rows if r[1] < r[2]]
    keys = varying_keys([r[0] for r in rows])
    best = min(rows, key=lambda r: r[1] / r[2] if r[2] else math.inf)
    return (f"TASK: final_loss below the trivial baseline in {len(beat)} of {len(rows)} "
            f"configurations; best `{short_label(best[0], keys)}` at "
            f"{100 * best[1] / best[2]:.2g} % of its baseline ({fmt(best[1])} vs {fmt(best[2])}).")


def figures(s):
    return keep_drawn([(fig_curves("TASK", s.runs, s.inp, s.out, s.notes, ["loss", "val_loss"],
                                   "{field}", "task_loss_vs_steps.png",
                                   "TASK: {field} against steps",
                                   baseline_counter="baseline_loss"),
                        "Training loss against steps; dashed: the task's trivial-solution loss "
                        "(baseline_loss) — below it, the network has learned something.")])


def verdicts(s):
    used = [n for n, b in ok_runs(s.runs).items()
            if "final_loss" in counters(b) and "baseline_loss" in counters(b)]
    return claim_verdict(s, task_verdict, "the networks learn the long-memory tasks (final loss "
                         "below the trivial baseline)", used)


FAMILY = Family(
    name="TASK", order=80, title="TASK — long-memory tasks",
    counters=["final_loss", "baseline_loss", "steps_to_target", "converged", "diverged",
              "final_acc", "test_acc", "epoch_seconds", "train_seconds"],
    figures=figures, verdicts=verdicts)

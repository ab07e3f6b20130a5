"""TASK — long-memory tasks (docs/RESEARCH.md §3 TASK): RNNs and LSTMs on the copy and adding
tasks. Figure: training loss against steps with each task's trivial-solution loss; verdict: in
how many configurations the network beats that baseline. The family module
(families/__init__.py: the interface).
"""
import math

from ..inputs import counters, groups_by_config, mean_spread, ok_runs, short_label, varying_keys
from ..tables import fmt
from .. import stats
from ..training import fig_curves, keep_drawn, safe
from ..verdicts import Verdict, runs_reporting
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


# A classifier over the 10 digits that has learned nothing (a uniform guess) has loss log 10; one
# that learned only MNIST's class frequencies is within 0.1 % of it (2.301). The MNIST tasks report
# no baseline_loss of their own: their baseline is 1 % below log 10, so learning the frequencies
# alone is not "learning".
MNIST_BASELINE = 0.99 * math.log(10)


def is_mnist_task(cfg):
    return any(k in ("task:pixelmnist", "task:permmnist") for k in cfg.split("/"))


def claims_of(s):
    """Per configuration: the final training loss below the task's trivial-solution loss
    (baseline_loss; 0.99 log 10 for pixel and permuted MNIST), log(final_loss / baseline) < 0 over
    seeds (one-sample t)."""
    out = []
    # The claim names its whole configuration (not the keys that vary in this file), so
    # regress and the reference overlay match it across files.
    groups = groups_by_config(ok_runs(s.runs))
    for cfg, items in groups.items():
        mnist = is_mnist_task(cfg)
        vals = []
        for _, b in items:
            c = counters(b)
            fl = c.get("final_loss")
            bl = MNIST_BASELINE if mnist else c.get("baseline_loss")
            if fl is not None and bl is not None and fl > 0 and bl > 0:
                vals.append(math.log(fl / bl))
        if vals:
            what = "0.99 log 10, 1 % under a uniform guess" if mnist else "the trivial baseline"
            out.append(stats.Claim(
                family="TASK", claim=f"`{cfg.split('/', 1)[1]}` learns (final loss below "
                                     f"{what})",
                kind="difference",
                metric=("log(final_loss / (0.99 log 10))" if mnist
                        else "log(final_loss / baseline_loss)")
                + ", per seed",
                values=tuple(vals), direction=-1,
                source="Arjovsky et al. 2016; Henaff et al. 2016 (the tasks' baselines)"))
    return out


def verdicts(s):
    """How many configurations end below their baseline (what was measured)."""
    text = safe(lambda: task_verdict(s.runs), s.notes, "TASK observation")
    used = tuple(n for n in runs_reporting(s.runs, "final_loss")
                 if "baseline_loss" in counters(s.runs[n]))
    return [Verdict(text=text, runs=used)] if text else []


FAMILY = Family(
    name="TASK", order=80, title="TASK — long-memory tasks",
    counters=["final_loss", "baseline_loss", "steps_to_target", "converged", "diverged",
              "final_acc", "test_acc", "epoch_seconds", "train_seconds"],
    figures=figures, verdicts=verdicts, claims=claims_of)

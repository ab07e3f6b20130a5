"""SENT — sentence sentiment with an LSTM (docs/RESEARCH.md §3 SENT): the seed study's
initializations and penalties on an LSTM over sentences. Drawn and judged like SEED (the shared
seed_study module: Figures 7 and 8, the study's claims). The family module
(families/__init__.py: the interface).
"""
from .. import seed_study
from . import Family

FAMILY = Family(
    name="SENT", order=70, title="SENT — sentence sentiment with an LSTM",
    counters=["best_val_acc", "final_acc", "test_acc", "kernel_sv_mean", "kernel_sv_std",
              "kernel_sv_min", "kernel_sv_max", "ortho_err", "epoch_seconds", "diverged"],
    figures=seed_study.figures, verdicts=seed_study.verdicts,
    claims=seed_study.seed_claims)

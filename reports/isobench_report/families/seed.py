"""SEED — the seed study's gain-adjusted orthogonal RNN (docs/RESEARCH.md §3 SEED): RNNs on
row-MNIST and the copy/adding tasks with orthogonal (gain g) or Glorot initialization and the
study's penalties. Figures 7 and 8 of the study and its claims as verdicts come from the shared
seed_study module (SENT uses them too). The family module (families/__init__.py: the interface).
"""
from .. import seed_study
from . import Family

FAMILY = Family(
    name="SEED", order=60, title="SEED — the seed study's gain-adjusted orthogonal RNN",
    counters=["best_val_acc", "final_acc", "test_acc", "kernel_sv_mean", "kernel_sv_std",
              "kernel_sv_min", "kernel_sv_max", "ortho_err", "epoch_seconds", "diverged"],
    figures=seed_study.figures, verdicts=seed_study.verdicts,
    claims=seed_study.seed_claims)

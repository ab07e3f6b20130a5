// The seed study's penalty forms (Hlav 2019; family_seed.cpp's header), shared by SEED and SENT:
// a form is a penalty method, its normalisation, and whether it reads the init's gain g (the
// gain-adjusted forms) or runs at g = 1 (the plain ones). seed_reg_name() is the `reg:` value of
// a run's PenaltySpec, so the name follows the setting.
#pragma once

#include <string>

#include "isobench/penalty.hpp"
#include "isobench/penalty_methods.hpp"

namespace isobench::bench {

struct PenaltyForm {
  const char* method;  // a registered penalty
  PenaltyNorm norm;
  bool adjusted;  // true: PenaltySpec::gain = the init's gain; false: 1
};

// Plain / gain-adjusted × the three forms, in registration order.
inline constexpr PenaltyForm kSeedForms[] = {
    {SoPenalty::name, PenaltyNorm::Mean, false},
    {SoPenalty::name, PenaltyNorm::Sum, false},
    {SeedNotebookPenalty::name, PenaltyNorm::Mean, false},
    {SoGainAdjustedPenalty::name, PenaltyNorm::Mean, true},
    {SoGainAdjustedPenalty::name, PenaltyNorm::Sum, true},
    {SeedNotebookPenalty::name, PenaltyNorm::Mean, true},
};

// The `reg:` value of a penalty: its method ("none" without one), except the notebook formula at
// g = 1 — the study's plain `Orthogonal_GainG_RegL` — which is `seed_notebook_plain`.
inline std::string seed_reg_name(const PenaltySpec& p) {
  if (p.method == SeedNotebookPenalty::name && p.gain == 1.0) return "seed_notebook_plain";
  return p.method;
}

}  // namespace isobench::bench

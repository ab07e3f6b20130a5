// The seed study's penalty forms (Hlav 2019; family_seed.cpp's header), shared by SEED and SENT:
// a form is a penalty method, its normalisation, and whether it reads the init's gain g (the
// gain-adjusted forms) or runs at g = 1 (the plain ones). seed_reg_name() is the `reg:` value of
// a run's PenaltySpec, so the name follows the setting.
#pragma once

#include <string>
#include <vector>

#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/ortho/penalty_methods.hpp"

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

// The user's methods (methods/) on SEED's and SENT's grids. Config: the family's run
// configuration (fields recurrent, penalty, constraint); add(Config) registers its seeds.
//
// At one gain g of the grid (configuration c): each user penalty at each λ of its grid, norm:sum,
// with the gain for methods that read it; each user constraint at its default rate, no penalty.
template <class Config, class Add>
void add_user_treatments(const Config& c, double g, Add add) {
  for (const PenaltyMethod& m : user_penalties())
    for (double lambda : m.lambda_grid) {
      Config u = c;
      u.penalty.method = m.name;
      u.penalty.norm = PenaltyNorm::Sum;
      u.penalty.lambda = lambda;
      u.penalty.gain = m.reads_gain ? g : 1.0;
      add(u);
    }
  for (const ConstraintMethod& m : user_constraints()) {
    Config u = c;
    u.constraint.method = m.name;
    add(u);
  }
}

// Each user init, untreated: at gain 1, and at every gain of the grid when it sets one.
template <class Config, class Add>
void add_user_inits(const Config& base, const std::vector<double>& gains, Add add) {
  for (const InitMethod& m : user_inits()) {
    Config u = base;
    u.recurrent = InitSpec{m.name};
    add(u);
    if (m.sets_gain)
      for (double g : gains) {
        u.recurrent.gain = g;
        add(u);
      }
  }
}

}  // namespace isobench::bench

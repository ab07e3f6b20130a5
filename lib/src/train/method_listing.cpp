#include "isobench/train/method_listing.hpp"

#include <string>
#include <tuple>
#include <vector>

#include "isobench/nn/activation.hpp"
#include "isobench/ortho/method_registry.hpp"

namespace isobench {

std::vector<std::string> method_listing() {
  std::vector<std::string> out;
  for (const auto& m : penalty_methods())
    out.push_back("penalty\t" + m.name + "\t" + (m.builtin ? "built-in" : "user") + "\t" +
                  m.formula + "\t" + m.source);
  for (const auto& m : constraint_methods())
    out.push_back("constraint\t" + m.name + "\t" + (m.builtin ? "built-in" : "user") + "\t" +
                  m.formula + "\t" + m.source);
  for (const auto& m : init_methods())
    out.push_back("init\t" + m.name + "\t" + (m.builtin ? "built-in" : "user") + "\t" + m.formula +
                  "\t" + m.source);
  // Activations are built in only (the layers' fused loops dispatch on them at compile time);
  // their mean-field theory comes from the policy (activation_moments.hpp).
  std::apply(
      [&](auto... a) {
        (out.push_back(std::string("activation\t") + decltype(a)::name + "\tbuilt-in\t" +
                       decltype(a)::formula + "\t" + decltype(a)::source),
         ...);
      },
      Activations{});
  return out;
}

}  // namespace isobench

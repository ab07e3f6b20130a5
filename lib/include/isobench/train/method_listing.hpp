// The listing behind `./isobench methods`: every registered penalty, constraint and init
// (ortho/method_registry.hpp) and every built-in activation (nn/activation.hpp). It sits in the
// last stage because it spans the ortho and nn stages.
#pragma once

#include <string>
#include <vector>

namespace isobench {

// One line per method: kind, name, built-in or user, formula, source (tab-separated), in
// registry order (penalties, constraints, inits, activations).
std::vector<std::string> method_listing();

}  // namespace isobench

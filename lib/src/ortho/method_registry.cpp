// The runtime method registry, built from the compile-time lists (method_registry.hpp).
#include "isobench/ortho/method_registry.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>

#include "isobench/ortho/constraint_methods.hpp"
#include "isobench/ortho/method_lists.hpp"  // generated: the user's methods/*.hpp and their types
#include "isobench/ortho/penalty_methods.hpp"

namespace isobench {

namespace {
// A method's name is a run-name value: lowercase letters, digits and '_' only ('/' and ':' would
// split the name), never "none". Checked as the registry is built (the message names the kind).
void check_method_name(const char* kind, const std::string& name, bool builtin) {
  const bool ok =
      !name.empty() && name != "none" &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!ok)
    throw std::logic_error(std::string(kind) + " method '" + name + "'" +
                           (builtin ? "" : " (methods/)") +
                           ": a method's name must be lowercase letters, digits and '_', and "
                           "not 'none' (it is a value in run names)");
}

// Every name of one kind's list well-formed (check_method_name) and unique.
template <class M>
void check_names(const std::vector<M>& out, const char* kind) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    check_method_name(kind, out[i].name, out[i].builtin);
    for (std::size_t j = 0; j < i; ++j)
      if (out[j].name == out[i].name)
        throw std::logic_error(std::string("two ") + kind + " methods are named '" + out[i].name +
                               "' (methods/ and the built-in list must not share names)");
  }
}

template <class Tuple>
void add_penalties(std::vector<PenaltyMethod>& out, bool builtin) {
  std::apply([&](auto... p) { (out.push_back(penalty_method_of<decltype(p)>(builtin)), ...); },
             Tuple{});
}

std::vector<PenaltyMethod> build_penalties() {
  std::vector<PenaltyMethod> out;
  add_penalties<BuiltinPenalties>(out, true);
  add_penalties<UserPenalties>(out, false);
  check_names(out, "penalty");
  for (const auto& m : out) {
    if (m.builtin) continue;  // the built-in ones run at each family's own λ
    if (m.lambda_grid.empty())
      throw std::logic_error("penalty " + m.name + " (methods/): lambda_grid() is empty");
    for (std::size_t i = 0; i < m.lambda_grid.size(); ++i) {
      const double l = m.lambda_grid[i];
      if (!(l > 0) || !std::isfinite(l))
        throw std::logic_error("penalty " + m.name + " (methods/): lambda_grid() holds " +
                               std::to_string(l) + "; every λ must be finite and > 0");
      for (std::size_t j = 0; j < i; ++j)
        if (m.lambda_grid[j] == l)
          throw std::logic_error("penalty " + m.name + " (methods/): lambda_grid() repeats " +
                                 std::to_string(l));
    }
  }
  return out;
}
template <class Tuple>
void add_constraints(std::vector<ConstraintMethod>& out, bool builtin) {
  std::apply([&](auto... c) { (out.push_back(constraint_method_of<decltype(c)>(builtin)), ...); },
             Tuple{});
}

std::vector<ConstraintMethod> build_constraints() {
  std::vector<ConstraintMethod> out;
  add_constraints<BuiltinConstraints>(out, true);
  add_constraints<UserConstraints>(out, false);
  check_names(out, "constraint");
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].replaces_step && !(out[i].default_rate > 0))
      throw std::logic_error("constraint " + out[i].name +
                             " replaces the optimizer step but declares no default_rate");
  }
  return out;
}

template <class Tuple>
void add_inits(std::vector<InitMethod>& out, bool builtin) {
  std::apply([&](auto... i) { (out.push_back(init_method_of<decltype(i)>(builtin)), ...); },
             Tuple{});
}

std::vector<InitMethod> build_inits() {
  std::vector<InitMethod> out;
  add_inits<BuiltinInits>(out, true);
  add_inits<UserInits>(out, false);
  check_names(out, "init");
  return out;
}
// The entry named `name` in `all`; else std::invalid_argument naming the kind (`what`, as in run
// names) and listing the registered names ("none" first where it is a valid setting).
template <class M>
const M& find_named(const std::vector<M>& all, std::string_view name, const char* what,
                    bool none_is_valid) {
  for (const auto& m : all)
    if (m.name == name) return m;
  std::string names = none_is_valid ? "none" : "";
  for (const auto& m : all) names += (names.empty() ? "" : ", ") + m.name;
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(name) +
                              "' (registered: " + names + "; `./isobench methods` lists them)");
}

// The entries of `all` that are not built in (the user's, methods/), in registry order.
template <class M>
std::vector<M> user_only(const std::vector<M>& all) {
  std::vector<M> out;
  for (const auto& m : all)
    if (!m.builtin) out.push_back(m);
  return out;
}
}  // namespace

const std::vector<ConstraintMethod>& constraint_methods() {
  static const std::vector<ConstraintMethod> all = build_constraints();
  return all;
}

const ConstraintMethod& constraint_method(std::string_view name) {
  return find_named(constraint_methods(), name, "constraint", true);
}

std::vector<ConstraintMethod> user_constraints() {
  return user_only(constraint_methods());
}

const std::vector<InitMethod>& init_methods() {
  static const std::vector<InitMethod> all = build_inits();
  return all;
}

const InitMethod& init_method(std::string_view name) {
  return find_named(init_methods(), name, "init", false);
}

std::vector<InitMethod> user_inits() {
  return user_only(init_methods());
}

const std::vector<PenaltyMethod>& penalty_methods() {
  static const std::vector<PenaltyMethod> all = build_penalties();
  return all;
}

const PenaltyMethod& penalty_method(std::string_view name) {
  return find_named(penalty_methods(), name, "reg", true);
}

std::vector<PenaltyMethod> user_penalties() {
  return user_only(penalty_methods());
}

}  // namespace isobench

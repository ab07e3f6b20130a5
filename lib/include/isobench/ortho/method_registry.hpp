// The method registry: every penalty, constraint and initialization that isobench can run, built
// once from compile-time lists of policy types.
//
// Built-in methods are listed in their headers (BuiltinPenalties in penalty_methods.hpp,
// BuiltinConstraints in constraint_methods.hpp, BuiltinInits in init.hpp). A user's method is one
// header in methods/ that defines its type and registers it with
//     ISOBENCH_REGISTER_PENALTY(MyPenalty), ISOBENCH_REGISTER_CONSTRAINT(MyConstraint)
//     or ISOBENCH_REGISTER_INIT(MyInit)
// The build (lib/CMakeLists.txt) scans methods/*.hpp for these lines and generates
// isobench/ortho/method_lists.hpp, which includes each file and lists its types (UserPenalties,
// UserConstraints, UserInits). The runtime registry (penalty_methods(), constraint_methods(),
// init_methods(): parsing, error messages,
// the gradient-check and distribution tests, PERF costs, the family grids, `./isobench methods`)
// is built from those same lists in
// method_registry.cpp, which is part of the library: no static-initialisation trick that a
// linker could drop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"

namespace isobench {

// Whether P has what a penalty method needs (penalty_methods.hpp lists the members).
template <class P, class = void>
struct is_penalty_method : std::false_type {};
template <class P>
struct is_penalty_method<
    P,
    std::void_t<
        decltype(P::name), decltype(P::formula), decltype(P::source), decltype(P::reads_gain),
        decltype(P::flops(std::declval<const PenaltySpec&>(), 1, 1)), decltype(P::workspace(1, 1)),
        decltype(std::declval<typename P::template Term<float>&>()(
            (const float*)nullptr, (float*)nullptr, 1.0, (float*)nullptr)),
        decltype(std::declval<typename P::template Term<double>&>()(
            (const double*)nullptr, (double*)nullptr, 1.0, (double*)nullptr))>> : std::true_type {};

// In a user's methods/NAME.hpp, after the type: checks the type and marks it for the build's
// list (the build reads this line; it must be on one line, at namespace scope).
// A user's penalty also needs lambda_grid() (the built-in ones run at each family's own λ).
#define ISOBENCH_REGISTER_PENALTY(Type)                                                        \
  static_assert(::isobench::is_penalty_method<Type>::value, #Type                              \
                " is not a penalty method: it needs name, formula, source, "                   \
                "reads_gain, flops(spec, r, c), workspace(r, c) and Term<T> with "             \
                "operator()(const T* w, T* grad, double lam, T* work) (penalty_methods.hpp)"); \
  static_assert(::isobench::method_detail::has_lambda_grid<Type>::value, #Type                 \
                " needs static std::vector<double> lambda_grid(): the λ values the "          \
                "families run it at (penalty_methods.hpp)")

namespace method_detail {
template <class P, class = void>
struct has_lambda_grid : std::false_type {};
template <class P>
struct has_lambda_grid<P, std::void_t<decltype(P::lambda_grid())>> : std::true_type {};
template <class P, class = void>
struct has_measure : std::false_type {};
template <class P>
struct has_measure<
    P, std::void_t<decltype(P::measure_name), decltype(P::measure((const float*)nullptr, 1, 1))>>
    : std::true_type {};
template <class C, class = void>
struct has_whole_kernel : std::false_type {};
template <class C>
struct has_whole_kernel<C, std::void_t<decltype(C::whole_kernel)>> : std::true_type {};
template <class Tm, class = void>
struct has_archive_state : std::false_type {};
template <class Tm>
struct has_archive_state<
    Tm, std::void_t<decltype(std::declval<Tm&>().state(std::declval<StateArchive&>()))>>
    : std::true_type {};
template <class Tm, class = void>
struct has_state : std::false_type {};
template <class Tm>
struct has_state<Tm, std::void_t<decltype(std::declval<Tm&>().save_state()),
                                 decltype(std::declval<Tm&>().restore_state())>> : std::true_type {
};

template <class P, class T>
class TermOf final : public PenaltyTerm<T> {
 public:
  TermOf(const PenaltySpec& s, int r, int c, std::uint64_t seed) : t_(s, r, c, seed) {}
  double run(const T* w, T* grad, double lam, T* work) override { return t_(w, grad, lam, work); }
  void save_state() override {
    if constexpr (has_state<typename P::template Term<T>>::value) t_.save_state();
  }
  void restore_state() override {
    if constexpr (has_state<typename P::template Term<T>>::value) t_.restore_state();
  }
  void state(StateArchive& ar) override {
    using Tm = typename P::template Term<T>;
    if constexpr (has_archive_state<Tm>::value)
      t_.state(ar);
    else if constexpr (has_state<Tm>::value)
      throw StateError(std::string("penalty ") + P::name +
                       " keeps state across calls but has no state(StateArchive&): its runs "
                       "cannot checkpoint (ISOBENCH_CHECKPOINT_SECONDS=0, or add the hook: "
                       "docs/EXTENDING.md)");
  }

 private:
  typename P::template Term<T> t_;
};
}  // namespace method_detail

// The registry entry of penalty type P.
template <class P>
PenaltyMethod penalty_method_of(bool builtin) {
  static_assert(is_penalty_method<P>::value, "not a penalty method (penalty_methods.hpp)");
  PenaltyMethod m;
  m.name = P::name;
  m.formula = P::formula;
  m.source = P::source;
  m.builtin = builtin;
  m.reads_gain = P::reads_gain;
  if constexpr (method_detail::has_lambda_grid<P>::value) m.lambda_grid = P::lambda_grid();
  if constexpr (method_detail::has_measure<P>::value) {
    m.measure_name = P::measure_name;
    m.measure = [](const float* w, int r, int c) { return P::measure(w, r, c); };
  }
  m.flops = [](const PenaltySpec& s, int r, int c) { return P::flops(s, r, c); };
  m.workspace = [](int r, int c) { return static_cast<std::size_t>(P::workspace(r, c)); };
  m.make_float = [](const PenaltySpec& s, int r, int c, std::uint64_t seed) {
    return std::unique_ptr<PenaltyTerm<float>>(
        std::make_unique<method_detail::TermOf<P, float>>(s, r, c, seed));
  };
  m.make_double = [](const PenaltySpec& s, int r, int c, std::uint64_t seed) {
    return std::unique_ptr<PenaltyTerm<double>>(
        std::make_unique<method_detail::TermOf<P, double>>(s, r, c, seed));
  };
  return m;
}

// Whether C has what a constraint method needs (constraint_methods.hpp lists the members).
template <class C, class = void>
struct is_constraint_method : std::false_type {};
template <class C>
struct is_constraint_method<
    C, std::void_t<decltype(C::name), decltype(C::formula), decltype(C::source),
                   decltype(C::replaces_step), decltype(C::default_rate), decltype(C::uses_margin),
                   decltype(C::flops(1, 1)),
                   decltype(std::declval<typename C::template Step<float>&>()(
                       std::declval<Matrix<float>&>(), (const Matrix<float>*)nullptr)),
                   decltype(std::declval<typename C::template Step<double>&>()(
                       std::declval<Matrix<double>&>(), (const Matrix<double>*)nullptr))>>
    : std::true_type {};

// In a user's methods/NAME.hpp, after the type (one line, at namespace scope).
#define ISOBENCH_REGISTER_CONSTRAINT(Type)                                                   \
  static_assert(::isobench::is_constraint_method<Type>::value, #Type                         \
                " is not a constraint method: it needs name, formula, source, "              \
                "replaces_step, default_rate, uses_margin, flops(r, c) and Step<T> with "    \
                "operator()(Matrix<T>& w, const Matrix<T>* grad) (constraint_methods.hpp)"); \
  static_assert(!Type::replaces_step || Type::default_rate > 0,                              \
                #Type " replaces the optimizer step but declares no default_rate > 0")

namespace method_detail {
template <class C, class T>
class StepOf final : public ConstraintStep<T> {
 public:
  StepOf(const ConstraintSpec& s, int r, int c) : s_(s, r, c) {}
  void apply(Matrix<T>& w, const Matrix<T>* grad) override { s_(w, grad); }

 private:
  typename C::template Step<T> s_;
};
}  // namespace method_detail

// The registry entry of constraint type C.
template <class C>
ConstraintMethod constraint_method_of(bool builtin) {
  static_assert(is_constraint_method<C>::value, "not a constraint method (constraint_methods.hpp)");
  ConstraintMethod m;
  m.name = C::name;
  m.formula = C::formula;
  m.source = C::source;
  m.builtin = builtin;
  m.replaces_step = C::replaces_step;
  m.default_rate = C::default_rate;
  m.uses_margin = C::uses_margin;
  if constexpr (method_detail::has_whole_kernel<C>::value) m.whole_kernel = C::whole_kernel;
  m.flops = [](int r, int c) { return C::flops(r, c); };
  m.make_float = [](const ConstraintSpec& s, int r, int c) {
    return std::unique_ptr<ConstraintStep<float>>(
        std::make_unique<method_detail::StepOf<C, float>>(s, r, c));
  };
  m.make_double = [](const ConstraintSpec& s, int r, int c) {
    return std::unique_ptr<ConstraintStep<double>>(
        std::make_unique<method_detail::StepOf<C, double>>(s, r, c));
  };
  return m;
}

// Whether I has what an initialization method needs (init.hpp lists the members).
template <class I, class = void>
struct is_init_method : std::false_type {};
template <class I>
struct is_init_method<
    I, std::void_t<decltype(I::name), decltype(I::formula), decltype(I::source),
                   decltype(I::ensemble), decltype(I::reads_sw2), decltype(I::sets_gain),
                   decltype(I::template fill<float>(std::declval<const InitSpec&>(),
                                                    std::declval<Matrix<float>&>(),
                                                    std::declval<Engine&>())),
                   decltype(I::template fill<double>(std::declval<const InitSpec&>(),
                                                     std::declval<Matrix<double>&>(),
                                                     std::declval<Engine&>()))>> : std::true_type {
};

// Whether I's ensemble is one its parameters describe (init.hpp InitEnsemble): a Gaussian
// ensemble at InitSpec::sw2 needs reads_sw2, a Haar one at InitSpec::gain needs sets_gain.
template <class I>
constexpr bool init_ensemble_consistent() {
  return (I::ensemble != InitEnsemble::Gaussian || I::reads_sw2) &&
         (I::ensemble != InitEnsemble::Haar || I::sets_gain);
}

// In a user's methods/NAME.hpp, after the type (one line, at namespace scope).
#define ISOBENCH_REGISTER_INIT(Type)                                                            \
  static_assert(::isobench::is_init_method<Type>::value, #Type                                  \
                " is not an init method: it needs name, formula, source, ensemble, reads_sw2, " \
                "sets_gain and template <class T> static void fill(const InitSpec&, "           \
                "Matrix<T>&, Engine&) (init.hpp)");                                             \
  static_assert(::isobench::init_ensemble_consistent<Type>(), #Type                             \
                " declares an ensemble its parameters do not set: Gaussian needs "              \
                "reads_sw2, Haar needs sets_gain (init.hpp InitEnsemble)")

// The registry entry of initialization type I.
template <class I>
InitMethod init_method_of(bool builtin) {
  static_assert(is_init_method<I>::value, "not an init method (init.hpp)");
  static_assert(init_ensemble_consistent<I>(),
                "Gaussian ensemble needs reads_sw2, Haar needs sets_gain (init.hpp)");
  InitMethod m;
  m.name = I::name;
  m.formula = I::formula;
  m.source = I::source;
  m.builtin = builtin;
  m.ensemble = I::ensemble;
  m.reads_sw2 = I::reads_sw2;
  m.sets_gain = I::sets_gain;
  m.fill_float = [](const InitSpec& s, Matrix<float>& w, Engine& e) {
    I::template fill<float>(s, w, e);
  };
  m.fill_double = [](const InitSpec& s, Matrix<double>& w, Engine& e) {
    I::template fill<double>(s, w, e);
  };
  return m;
}

}  // namespace isobench

// See run_guard.hpp.
#include "run_guard.hpp"

#include <exception>
#include <string>

namespace isobench::bench {

namespace {
void fail(benchmark::State& state, const std::string& why) {
  if (state.error_occurred()) return;  // the run's own error comes first; report it once
  state.SkipWithError(("the run failed: " + why).c_str());
}
}  // namespace

void run_guarded(benchmark::State& state, const std::function<void(benchmark::State&)>& fn) {
  try {
    fn(state);
  } catch (const std::exception& e) {
    fail(state, e.what());
  } catch (...) {
    fail(state, "an exception that is not a std::exception");
  }
}

}  // namespace isobench::bench

// One failing run never stops the others: every registered run goes through run_guarded(), which
// turns an exception escaping it into that run's error (Google Benchmark's SkipWithError, with the
// exception's message) instead of letting it end the whole binary. bench_common.cpp's add() wraps
// every run in it, so no family can forget; a family's own try/catch (e.g. to keep partial
// figures or to add the data set's name) still runs first.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>

namespace isobench::bench {

// Runs fn(state). An exception escaping it becomes the run's error: "the run failed: <what>"
// (std::exception) or "the run failed: an exception that is not a std::exception". Once: a run
// that already reported an error keeps its own message.
void run_guarded(benchmark::State& state, const std::function<void(benchmark::State&)>& fn);

}  // namespace isobench::bench

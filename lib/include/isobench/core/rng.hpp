// Explicit, per-run randomness. There is no global engine: every engine is seeded by
// derive_seed(KEY, seed) from a text KEY and the run's seed number, so a run's numbers do not
// depend on what else runs in the process (or on which shard it lands in). Training runs key one
// engine per thing drawn by what it draws (RunStreams, streams.hpp: common random numbers across
// treatments); RQA and PERF key one engine by their name.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace isobench {

using Engine = std::mt19937_64;

// The FNV-1a recurrence over the text's bytes (h ^= byte; h *= 1099511628211). Its offset basis
// is 1469598103934665603, one digit short of the standard 14695981039346656037: an early slip kept
// on purpose, since every run's seed and every run's shard (`--shard`, sweep/isobench_sweep/
// sharding.py) derive from this value — changing it would change every number and move runs
// between the shards of a sweep in progress. Stable across platforms.
std::uint64_t text_hash(std::string_view text);

// text_hash(config) mixed with the seed through splitmix64.
std::uint64_t derive_seed(std::string_view config, std::uint64_t seed);
inline Engine make_engine(std::string_view config, std::uint64_t seed) {
  return Engine(derive_seed(config, seed));
}

// Standard normal and uniform draws written so that the sequence depends only on the engine
// (std::normal_distribution caches a second value; we use Box–Muller pairs explicitly).
double standard_normal(Engine& eng);
double uniform01(Engine& eng);  // in [0, 1)

}  // namespace isobench

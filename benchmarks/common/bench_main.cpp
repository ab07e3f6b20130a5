// The shared main() of every benchmark family binary.
//
// Extra flag (removed before Google Benchmark sees the arguments):
//   --isobench_shard=I/K   keep the runs whose name hash % K == I (I from 0). Google Benchmark's
//                          --benchmark_filter is applied to what remains; since a run's shard
//                          depends only on its name, filtering then sharding gives the same set.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "bench_common.hpp"
#include "isobench/blas.hpp"

namespace {
bool parse_shard(const char* s, unsigned long& i, unsigned long& k) {
  char* end = nullptr;
  i = std::strtoul(s, &end, 10);
  if (end == s || *end != '/') return false;
  const char* ks = end + 1;
  k = std::strtoul(ks, &end, 10);
  return end != ks && *end == '\0' && k >= 1 && i < k;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace isobench::bench;
  unsigned long shard_i = 0, shard_k = 1;
  std::vector<char*> args;
  for (int a = 0; a < argc; ++a) {
    const char* prefix = "--isobench_shard=";
    if (std::strncmp(argv[a], prefix, std::strlen(prefix)) == 0) {
      if (!parse_shard(argv[a] + std::strlen(prefix), shard_i, shard_k)) {
        std::cerr << "error: bad " << argv[a]
                  << " (expected --isobench_shard=I/K with 0 <= I < K)\n";
        return 2;
      }
      continue;
    }
    args.push_back(argv[a]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  int threads = 1;
  try {
    threads = isobench::configure_blas_threads_from_env();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  const char* version = std::getenv("ISOBENCH_VERSION");
  benchmark::AddCustomContext("isobench_version",
                              version && *version ? version : ISOBENCH_GIT_VERSION);
  benchmark::AddCustomContext("profile", profile_name());
  benchmark::AddCustomContext("blas_threads", std::to_string(threads));
  benchmark::AddCustomContext("shard", std::to_string(shard_i) + "/" + std::to_string(shard_k));

  for (auto& r : detail::registry()) {
    if (name_hash(r.name) % shard_k != shard_i) continue;
    auto* b = benchmark::RegisterBenchmark(r.name.c_str(), r.fn);
    if (r.configure) r.configure(b);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

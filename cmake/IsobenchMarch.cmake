# The instruction set isobench's own code is compiled for (OpenBLAS picks its kernels at run time
# whatever this says). docs/ARCHITECTURE.md, "Speed per run":
#   ISOBENCH_MARCH=auto (default)  x86-64-v3 (AVX2, FMA, BMI2, …) when the CPU that builds has
#                                  it, else x86-64-v2 — a binary for v3 stops with SIGILL on a CPU
#                                  without AVX2, so build on the oldest kind of node that runs it,
#                                  or say x86-64-v2
#   ISOBENCH_MARCH=x86-64-v3 | x86-64-v2 | native | …   as given (-march=VALUE)
# Always -ffp-contract=off: no multiply and add is fused into an FMA, so the numbers are the same
# bit for bit whichever of these the binaries were built for (checked: the whole quick profile,
# 421 runs and 368 traces, v3 against v2). Recorded as results.json's context "march".
set(ISOBENCH_MARCH "auto" CACHE STRING
    "-march for isobench's code: auto (x86-64-v3 when this CPU has it, else x86-64-v2) or a value")

if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # Not x86-64: the x86-64 levels do not apply; the compiler's default, contraction off all the
  # same.
  set(ISOBENCH_MARCH_USED "default")
  add_compile_options(-ffp-contract=off)
  message(STATUS "isobench: no -march (${CMAKE_SYSTEM_PROCESSOR}); -ffp-contract=off")
  return()
endif()

if(ISOBENCH_MARCH STREQUAL "auto" AND CMAKE_CROSSCOMPILING)
  set(ISOBENCH_MARCH_USED "x86-64-v2")  # the CPU that builds says nothing about the target
  message(STATUS "isobench: -march=x86-64-v2 (cross-compiling; set ISOBENCH_MARCH to choose)")
elseif(ISOBENCH_MARCH STREQUAL "auto")
  # Compiled without -march, so that the check itself runs on any x86-64.
  set(_src "${CMAKE_BINARY_DIR}/isobench_cpu_check.cpp")
  file(WRITE "${_src}" [=[
int main() {
  __builtin_cpu_init();
  return (__builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") &&
          __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
          __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c") &&
          __builtin_cpu_supports("movbe")) ? 0 : 1;
}
]=])
  try_run(_run _compiled "${CMAKE_BINARY_DIR}/isobench_cpu_check" SOURCES "${_src}")
  if(_compiled AND _run EQUAL 0)
    set(ISOBENCH_MARCH_USED "x86-64-v3")
  else()
    set(ISOBENCH_MARCH_USED "x86-64-v2")
  endif()
  message(STATUS "isobench: -march=${ISOBENCH_MARCH_USED} (ISOBENCH_MARCH=auto: this CPU's level)")
else()
  set(ISOBENCH_MARCH_USED "${ISOBENCH_MARCH}")
  message(STATUS "isobench: -march=${ISOBENCH_MARCH_USED} (ISOBENCH_MARCH)")
endif()
add_compile_options("-march=${ISOBENCH_MARCH_USED}" -ffp-contract=off)

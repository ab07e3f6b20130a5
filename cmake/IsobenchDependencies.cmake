# Every dependency comes from a Debian 12 package; a missing one stops configure with the
# package name to install (or run `./isobench deps`).
macro(isobench_require pkg debian)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "isobench: dependency '${pkg}' not found. "
                        "Install the Debian package '${debian}' (or run `./isobench deps`).")
  endif()
endmacro()

isobench_require(xtl libxtl-dev)
isobench_require(xtensor libxtensor-dev)
isobench_require(xtensor-blas libxtensor-blas-dev)
isobench_require(nlohmann_json nlohmann-json3-dev)
isobench_require(ZLIB zlib1g-dev)
if(ISOBENCH_BUILD_BENCHMARKS)
  isobench_require(benchmark libbenchmark-dev)
endif()
if(ISOBENCH_BUILD_TESTS)
  isobench_require(GTest libgtest-dev)
endif()

set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
find_package(LAPACK QUIET)
if(NOT BLAS_FOUND OR NOT LAPACK_FOUND)
  message(FATAL_ERROR "isobench: OpenBLAS (BLAS + LAPACK) not found. "
                      "Install the Debian package 'libopenblas-dev' (or run `./isobench deps`).")
endif()
find_path(ISOBENCH_CBLAS_INCLUDE cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas)
if(NOT ISOBENCH_CBLAS_INCLUDE)
  message(FATAL_ERROR "isobench: cblas.h not found. Install the Debian package 'libopenblas-dev'.")
endif()

add_library(isobench_warnings INTERFACE)
target_compile_options(isobench_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)

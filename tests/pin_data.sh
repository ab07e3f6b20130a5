# Sourced by the test scripts after they set `root` (the repository): tests pin their data to the
# repository's ../shared/data (CI's read-only copy), never data/ from `./isobench data` (which may
# hold the full MNIST) nor the user's ISOBENCH_DATA_DIR, so their numbers are the same on every
# machine. When that copy is absent the test is skipped (exit 77) saying so.
#   pin_test_data DATASET...   (the subdirectories the test reads, e.g. mnist)
pin_test_data() {
  ISOBENCH_DATA_DIR="$(cd "$root/.." && pwd)/shared/data"
  export ISOBENCH_DATA_DIR
  local d
  for d in "$@"; do
    if [ ! -d "$ISOBENCH_DATA_DIR/$d" ]; then
      echo "isobench: SKIPPED: the pinned test data $ISOBENCH_DATA_DIR/$d is absent (CI has it;" \
           "tests never read data/ or another ISOBENCH_DATA_DIR, so their numbers do not change)"
      exit 77
    fi
  done
}

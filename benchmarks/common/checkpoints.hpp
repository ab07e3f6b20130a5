// Checkpoints of the families' long training runs (issue 22; docs/SWEEPS.md "Checkpoints").
//
// A run that trains through the trainer with a workload that has state() (RQC and RQE's
// MlpClassifierWorkload, RQD and TASK's SequenceWorkload) saves its whole state — weights,
// optimizer moments, the random engines, this epoch's order, the trainer's figures and its
// trace's byte offset — to $ISOBENCH_OUT/checkpoints/NAME.state every ISOBENCH_CHECKPOINT_SECONDS
// of wall time (default 600; 0: never), written to NAME.state.tmp and renamed, so an
// interruption leaves the previous checkpoint whole. A binary started with --isobench_resume
// (`./isobench bench --resume`) continues a run that has a checkpoint from it instead of
// restarting it; the resumed run's counters and trace equal an uninterrupted run's bit for bit
// (timings aside; tests/sweep/test_checkpoint_resume.sh). A run whose record reached the run log
// has its checkpoint removed (bench_main.cpp). The probe (ISOBENCH_PROBE=1) saves none.
#pragma once

#include <string>
#include <string_view>

#include "isobench/train/trainer.hpp"

namespace isobench::bench {

// --isobench_resume (bench_main.cpp): runs with a checkpoint continue from it.
void set_checkpoint_resume(bool resume);
// ISOBENCH_CHECKPOINT_SECONDS: seconds of wall time between checkpoints (default 600, 0: none);
// std::invalid_argument naming the variable for anything but a number ≥ 0.
double checkpoint_seconds();
// $ISOBENCH_OUT/checkpoints/NAME.state (NAME sanitized as traces are).
std::string checkpoint_path(std::string_view run_name);
// Whether the run continues from a checkpoint: resume mode and its file exists.
bool resumes_from_checkpoint(std::string_view run_name);
// The trainer's checkpoint settings for the run: saving every checkpoint_seconds() (none in probe
// mode or at 0) and, when resuming, the checkpoint's bytes. A checkpoint that cannot be read
// throws std::runtime_error naming the file (the run fails with it; the file is kept).
CheckpointConfig checkpoint_config(std::string_view run_name);
// Removes the run's checkpoint (a finished run's); a missing file is no error.
void remove_checkpoint(std::string_view run_name);

}  // namespace isobench::bench

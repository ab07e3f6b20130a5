"""The write checks (issue 18, "Writes"): a results file is written to a temporary file and
renamed, so a failed write (disk full, file-size limit) leaves the earlier file as it was and is
named with the system's reason. The binaries' own failed writes (traces, run logs) reach
results.json through merge_runs.py (context "write_errors", "complete": false); a binary that
exits 3 had a write fail (bench_main.cpp)."""
import json
import os
import sys

# A binary's exit status when some output could not be written (benchmarks/common/bench_main.cpp).
WRITE_FAILED_STATUS = 3


def replace_or_error(path, write):
    """write(path + ".tmp"), then rename it to path: None, or the OSError after removing the
    temporary file (path is left as it was). The report's files are written through this too
    (reports/isobench_report/checked_write.py)."""
    tmp = path + ".tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
        return None
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        return e


def replace_file(path, write):
    """replace_or_error: None, or "FILE: the system's reason"."""
    e = replace_or_error(path, write)
    return None if e is None else f"{e.filename or path + '.tmp'}: {e.strerror or e}"


def write_results(path, data):
    """Writes data (a results object) to path as JSON (indent 1) through a temporary file; on
    failure prints the path and the system's reason, leaves path as it was, and returns False."""
    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
    err = replace_file(path, dump)
    if err:
        print(f"merge: cannot write {err} — {path} was left as it was; free space or raise the "
              f"limit, then rerun (./isobench bench --resume)", file=sys.stderr)
    return err is None

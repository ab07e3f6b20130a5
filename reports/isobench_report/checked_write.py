"""Checked writes of the report's files (report.md, the CSVs, the PNG figures).

Why: a full disk or a file-size limit must not lose part of the report silently (issue 18,
"Writes"). Each file is written to PATH.tmp and renamed, so a failed write leaves an earlier
file whole; the failure is printed with the path and the system's reason ("No space left on
device", "File too large"), kept in FAILED, and makes report.py exit 1 (cli.write_report)."""
from isobench_sweep.write_checks import replace_or_error  # sweep/ is on the path (__init__.py)

from .inputs import warn

FAILED = []  # (path, reason) of every file that could not be written, in order


def write_file(path, write):
    """Calls write(tmp_path), then renames tmp_path to path. Returns True, or False after noting
    the failure (path, the system's reason) in FAILED and on stderr."""
    e = replace_or_error(path, write)
    if e is None:
        return True
    reason = e.strerror or str(e)
    FAILED.append((path, reason))
    warn(f"cannot write {path}: {reason} (free space or raise the limit, then rerun "
         f"./isobench report)")
    return False

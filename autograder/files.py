"""Files the grader writes, written whole or not at all: through a temporary file in the same folder
and a rename, so that a reader (an instructor's spreadsheet, a rerun, Gradescope) never sees half
of one, and a failure leaves the previous version in place."""
import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path, mode="w", **kwargs):
    """A file object for path (text: UTF-8 unless given; newline="" suits the csv module); the file
    appears at path only when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path, data):
    """Write text or bytes to path whole (see atomic_open); returns path."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return Path(path)

"""Reading what a job left, safely: its files are untrusted (links, FIFOs, pickles, zip bombs)."""
import io
import json
import os
import stat
import zipfile

import numpy as np


def regular_file(path, max_bytes):
    """The bytes of `path` if it is a regular file (not a link, FIFO or device) of at most max_bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(max_bytes + 1)[:max_bytes]
    finally:
        os.close(fd)


def _load_npz(data, max_bytes, max_arrays=256):
    """Numeric arrays from .npz bytes, refusing pickles and arrays whose header promises more than
    max_bytes in total (a small compressed file can inflate to gigabytes)."""
    arrays, total = {}, 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if m.filename.endswith(".npy")][:max_arrays]
        for member in members:
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    continue
                if dtype.hasobject or dtype.kind not in "biuf" or any(not isinstance(n, int) or n < 0 for n in shape):
                    continue
                size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                total += size
                if total > max_bytes:
                    raise ValueError("the arrays are larger than the limit")
                data = f.read(size + 1)
                if len(data) != size:
                    continue  # a header that does not match its data
                array = np.frombuffer(data, dtype=dtype)
                arrays[member.filename[:-4]] = array.reshape(shape, order="F" if fortran else "C").copy()
    return arrays


def read_record(folder, name, max_bytes):
    """(arrays, meta) of one record, or None: not a plain small file of valid JSON (an object) and
    numeric arrays."""
    meta_bytes = regular_file(folder / f"{name}.record.json", 1_000_000)
    if meta_bytes is None:
        return None
    try:
        meta = json.loads(meta_bytes)
        arrays_bytes = regular_file(folder / f"{name}.record.npz", max_bytes)
        arrays = _load_npz(arrays_bytes, max_bytes) if arrays_bytes else {}
    except (ValueError, RecursionError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError):
        return None
    return (arrays, meta) if isinstance(meta, dict) else None

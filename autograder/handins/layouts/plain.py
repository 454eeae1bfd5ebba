"""The layouts of no LMS: notebooks in a folder (`file`), or one folder per student (`folder`)."""
from __future__ import annotations

import zipfile

from ..folders import Entry, HandinsError, Skipped, classify, noise, scan, walk_files
from ..names import ZIP_SUFFIXES, display, safe_id, stem, suffix


def read_files(folder, col, recurse):
    """`file`: each notebook or export zip is a student; the id is its name without the extension
    and without the `_<timestamp>` of Otter's export."""
    files = []
    given = [Entry(folder, "file" if folder.is_file() else "special")]
    for entry in scan(folder) if folder.is_dir() else given:
        classify(entry, files, col.skipped, recurse=recurse)
    for f in files:
        refuse_class_download(f)
        col.student(safe_id(stem(f.name)), [f], "file", f"file name {display(f.name)}")


def read_folders(folder, col):
    """`folder`: one folder per student, named by the student's id; the files under it are theirs."""
    for entry in scan(folder):
        if entry.kind != "dir" or noise(entry.path.name, True):
            found = []
            classify(entry, found, col.skipped, recurse=False)
            for f in found:  # a loose notebook next to the student folders
                col.skipped.append(Skipped(f, "unmatched", "a file next to the student folders "
                                                           "(each student has a folder)"))
            continue
        files = walk_files(entry.path, col.skipped)
        col.student(safe_id(entry.path.name), files, "folder", f"folder {display(entry.path.name)}",
                    where=entry.path)


CLASS_DOWNLOAD_MAX_DIRECTORY_BYTES = 4 * 2**20


def refuse_class_download(path):
    """Refuse a whole-class LMS download zip handed over as if it were one student's export."""
    from . import canvas, gradescope, moodle

    if suffix(path.name) not in ZIP_SUFFIXES:
        return
    from ...pipeline.read import zip_directory_bytes

    try:
        with open(path, "rb") as f:
            # zipfile makes one object per name of the list, whatever its size: a list longer than a
            # class's download (about 30,000 files) is one student's, and the grader refuses it
            if (zip_directory_bytes(f) or 0) > CLASS_DOWNLOAD_MAX_DIRECTORY_BYTES:
                return
            with zipfile.ZipFile(f) as zf:
                names = zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return  # graded, and reported unreadable by the grader
    first = {n.split("/")[0] for n in names}
    tops = {n.rstrip("/").split("/")[-1] for n in names}
    lms = ("Gradescope" if gradescope.METADATA in tops
           else "Moodle" if any(moodle.FOLDER.match(t) or moodle.FILE.match(t) for t in first)
           else "Canvas" if sum(bool(canvas.match(t)) for t in first) >= 2 else None)
    if lms:
        raise HandinsError(f"{display(str(path))} is a {lms} download of the whole class: extract "
                           f"it (unzip it into a folder) and pass that folder")

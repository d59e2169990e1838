"""All-or-nothing writes: files go to a temporary folder beside their destination and are moved in
only when every one of them was written, so a failure (or a kill) never leaves a partial result.

A file-system failure (the destination is a file, lies under a file, is read-only, the disk is
full) is an :class:`~twin.errors.InputError` naming the path, not a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twin.errors import InputError

__all__ = ["atomic_folder", "atomic_text", "safe_name"]


def safe_name(label: str, limit: int = 80) -> str:
    """A label (e.g. a scenario's name) as one folder name: letters, digits, ``.``, ``_`` and ``-``
    only, no leading dot, at most ``limit`` characters; never a path."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-")[:limit].rstrip("._-")
    return name or "unnamed"


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _readable(path: str | os.PathLike[str], folder: bool = False) -> None:
    """Give a temporary file (mkstemp: 0600) or folder (mkdtemp: 0700) the permissions a normal
    ``open``/``mkdir`` would: 0666/0777 less the umask (0644/0755 with the usual umask 022)."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def _fail(path: Path, exc: OSError) -> InputError:
    return InputError.single(str(path), "", f"cannot be written: {exc.strerror or exc}")


@contextmanager
def atomic_folder(out_dir: str | os.PathLike[str], replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; when the block ends without an exception its files are moved
    into ``out_dir``, else nothing is.

    ``replace=False``: the files replace files of the same name in ``out_dir`` one by one (other
    files there stay). ``replace=True``: ``out_dir`` as a whole becomes the new folder, by renames
    on the same file system: a kill leaves the old folder, the new complete one, or none.
    """
    out = Path(out_dir)
    try:
        if replace:
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.exists() and not out.is_dir():
                raise InputError.single(str(out), "", "exists and is not a folder")
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
            _readable(tmp, folder=True)  # it becomes the output folder: not 0700
        else:
            out.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    except OSError as exc:
        raise _fail(out, exc) from None
    try:
        yield tmp
        try:
            if replace:
                old = None
                if out.exists():
                    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                    os.replace(out, old / out.name)
                try:
                    os.replace(tmp, out)
                except OSError:
                    if old is not None:  # put the old folder back: a failure leaves it as it was
                        os.replace(old / out.name, out)
                        shutil.rmtree(old, ignore_errors=True)
                    raise
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            else:
                for f in sorted(tmp.iterdir()):
                    os.replace(f, out / f.name)
        except OSError as exc:
            raise _fail(out, exc) from None
    except OSError as exc:  # writing inside the temporary folder failed (disk full, ...)
        raise _fail(out, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=p.parent)
    except OSError as exc:
        raise _fail(p, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        _readable(tmp)  # readable like any other output (mkstemp makes it 0600)
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _fail(p, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p

"""pytest plugin of the repository: notebooks run once, by nbval, and the book re-uses the outputs.

``make test`` runs ``pytest --nbval-lax notebooks/ --nbcache=_build/.jupyter_cache``. nbval runs
every cell in a kernel and checks it raises nothing (cells assert their headline numbers). This
plugin, only in runs that use nbval:

- runs cells as Jupyter does (with history, so that a trailing ``;`` hides a result);
- starts the kernels without pytest's ``PYTEST_CURRENT_TEST`` variable, which makes ipykernel
  stop capturing C-level output (file descriptors 1 and 2): with it, what a C library writes to
  stderr never reached nbval, while the book build (``stderr_output: severe``) saw and refused it;
- fails a cell that writes to stderr (Python or C level), as the book build would;
- stores each notebook whose cells all passed in the jupyter-cache database that Jupyter Book reads
  with ``execute_notebooks: cache``, so that each notebook runs once per ``make test``.

It also adds ``--book=PATH`` (the built HTML book) for ``tests/test_browser.py``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--nbcache", default=None, metavar="PATH",
        help="store notebooks executed by nbval in this jupyter-cache folder (for Jupyter Book)",
    )
    parser.addoption(
        "--book", default=None, metavar="PATH",
        help="built HTML book (_build/html) that tests/test_browser.py reads in Chromium",
    )


def _stderr_text(outputs) -> str:
    return "".join(out.get("text", "") for out in outputs or []
                   if out.get("output_type") == "stream" and out.get("name") == "stderr")


class _NbvalCells:
    """Per-cell checks and the cache fill of an nbval run."""

    def __init__(self, cache_path: Path | None):
        self.cache_path = cache_path
        self.cells = defaultdict(dict)  # notebook path -> {cell_num: outputs}
        self.failed = set()
        self.started = {}
        self.finished = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if not hasattr(item, "cell_num") or not hasattr(item, "test_outputs"):
            return
        nb_path = Path(str(item.parent.fspath))
        self.started.setdefault(nb_path, time.time())
        self.finished[nb_path] = time.time()
        if report.when == "call" and report.passed:
            stderr = _stderr_text(item.test_outputs)
            if stderr:
                report.outcome = "failed"
                report.longrepr = (
                    f"{nb_path.name} cell {item.cell_num} wrote to stderr (the book build "
                    f"refuses it: stderr_output: severe):\n{stderr}")
        if report.failed or report.skipped:
            self.failed.add(nb_path)
        elif report.when == "call":
            self.cells[nb_path][item.cell_num] = item.test_outputs or []

    def seconds(self, nb_path) -> float:
        """Seconds from the first report of a notebook's first cell (its set-up, the kernel already
        started) to the last report of its last cell."""
        return self.finished[nb_path] - self.started[nb_path]

    def pytest_terminal_summary(self, terminalreporter):
        if not self.started:
            return
        terminalreporter.section("notebook execution times")
        for nb_path in sorted(self.started):
            mark = " (failed)" if nb_path in self.failed else ""
            terminalreporter.write_line(f"{self.seconds(nb_path):7.1f} s  {nb_path.name}{mark}")

    def pytest_sessionfinish(self, session):
        if self.cache_path is None:
            return
        import nbformat
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        cache = None
        for nb_path, outputs in sorted(self.cells.items()):
            if nb_path in self.failed:
                continue
            nb = nbformat.read(nb_path, as_version=4)
            code_cells = [c for c in nb.cells if c.cell_type == "code"]
            if set(outputs) != set(range(len(code_cells))):
                continue  # not every cell ran (e.g. -k selection): do not cache a partial run
            for count, (num, cell) in enumerate(zip(range(len(code_cells)), code_cells), start=1):
                cell.outputs = [nbformat.from_dict(dict(out)) for out in outputs[num]]
                for out in cell.outputs:
                    if out.output_type == "execute_result":
                        out.execution_count = count
                cell.execution_count = count
            cache = cache or get_cache(str(self.cache_path))
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(nb_path), data={"execution_seconds": self.seconds(nb_path)}),
                check_validity=False, overwrite=True,
            )


def _execute_with_history(self, cell_input, allow_stdin=None):
    """nbval runs cells with ``store_history=False``, so a trailing ``;`` no longer hides a cell's
    result (IPython looks for it in the history). Run them as Jupyter does, with history."""
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin)


def _kernel_env() -> dict:
    """The environment of an nbval kernel: ours, less pytest's per-test variable."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def _uses_nbval(config) -> bool:
    return bool(config.getoption("nbval", default=False)
                or config.getoption("nbval_lax", default=False))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: reads the built book in Chromium (--book)")
    if not _uses_nbval(config):
        if config.getoption("--nbcache"):
            raise pytest.UsageError("--nbcache needs --nbval or --nbval-lax")
        return
    import nbval.kernel

    original_start = nbval.kernel.start_new_kernel

    def start_new_kernel(*args, **kwargs):
        kwargs.setdefault("env", _kernel_env())
        return original_start(*args, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(nbval.kernel.RunningKernel, "execute_cell_input", _execute_with_history)
    patch.setattr(nbval.kernel, "start_new_kernel", start_new_kernel)
    config.stash[_PATCH] = patch
    path = config.getoption("--nbcache")
    config.pluginmanager.register(_NbvalCells(Path(path).resolve() if path else None),
                                  "mirbook-nbval")


def pytest_unconfigure(config):
    patch = config.stash.get(_PATCH, None)
    if patch is not None:
        patch.undo()


_PATCH = pytest.StashKey()

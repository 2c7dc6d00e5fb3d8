"""pytest plugin: notebooks are executed once, by nbval, and the book re-uses those outputs.

``make test`` runs ``pytest --nbval-lax notebooks/ --nbcache=_build/.jupyter_cache``. nbval runs
every cell in a kernel and checks it raises nothing (cells assert their headline numbers). This
plugin collects the outputs nbval received and, for each notebook whose cells all passed, stores the
executed notebook in the jupyter-cache database that Jupyter Book reads with
``execute_notebooks: cache``. The book build that follows then finds every notebook in the cache
and renders it without executing it again: each notebook runs once per ``make test``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--nbcache", default=None, metavar="PATH",
        help="store notebooks executed by nbval in this jupyter-cache folder (for Jupyter Book)",
    )


class _NotebookCache:
    def __init__(self, cache_path: Path):
        self.cache_path = cache_path
        self.cells = defaultdict(dict)  # notebook path -> {cell_num: outputs}
        self.failed = set()
        self.started = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if not hasattr(item, "cell_num") or not hasattr(item, "test_outputs"):
            return
        nb_path = Path(str(item.parent.fspath))
        self.started.setdefault(nb_path, time.time())
        if report.failed or report.skipped:
            self.failed.add(nb_path)
        elif report.when == "call":
            self.cells[nb_path][item.cell_num] = item.test_outputs or []

    def pytest_sessionfinish(self, session):
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
                CacheBundleIn(nb, str(nb_path),
                              data={"execution_seconds": time.time() - self.started[nb_path]}),
                check_validity=False, overwrite=True,
            )


def _execute_with_history(self, cell_input, allow_stdin=None):
    """nbval runs cells with ``store_history=False``, so a trailing ``;`` no longer hides a cell's
    result (IPython looks for it in the history). Run them as Jupyter does, with history."""
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin)


def pytest_configure(config):
    try:
        from nbval.kernel import RunningKernel
    except ImportError:
        pass
    else:
        RunningKernel.execute_cell_input = _execute_with_history
    path = config.getoption("--nbcache")
    if path:
        config.pluginmanager.register(_NotebookCache(Path(path).resolve()), "mirbook-nbcache")

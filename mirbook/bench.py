"""``python -m mirbook bench [NAME ...]``: run the speed benchmarks of ``benchmarks/``.

Each ``benchmarks/bench_NAME.py`` times mirbook against the reference library in one run and prints
ratios; results go to ``benchmarks/results/`` (git-ignored). Benchmarks live in the repository, not
in the installed package, so this command works from a checkout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from .config import repo_root


def available():
    """Names of the benchmarks in ``benchmarks/`` (``bench_NAME.py`` -> ``NAME``).

    Returns
    -------
    names : list of str
        Empty outside a repository checkout.

    Examples
    --------
    >>> "features" in available()                             # doctest: +SKIP
    True
    """
    root = repo_root()
    if root is None:
        return []
    return sorted(p.stem[len("bench_"):] for p in (root / "benchmarks").glob("bench_*.py"))


def main(argv=None):
    """``python -m mirbook bench [NAME ...]``: run the named benchmarks (default all of them).

    Parameters
    ----------
    argv : list of str, optional
        Benchmark names, then any option passed on to every script (e.g. ``--repeats 2``).

    Returns
    -------
    int
        0 if every script succeeded.

    Examples
    --------
    >>> main(["features", "--files", "4"])                    # doctest: +SKIP
    """
    names = available()
    parser = argparse.ArgumentParser(prog="mirbook bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default all of {names}")
    args, extra = parser.parse_known_args(argv)
    if repo_root() is None:
        parser.exit(2, "mirbook bench: run it from a repository checkout (benchmarks/ is not installed)\n")
    unknown = set(args.names) - set(names)
    if unknown:
        parser.exit(2, f"mirbook bench: unknown benchmark(s) {sorted(unknown)}; available: {names}\n")
    status = 0
    for name in args.names or names:
        print(f"== benchmarks/bench_{name}.py", flush=True)
        script = repo_root() / "benchmarks" / f"bench_{name}.py"
        status |= subprocess.call([sys.executable, str(script), *extra])
    return status

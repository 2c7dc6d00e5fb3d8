"""Command line: ``python -m mirbook`` (or the ``mirbook`` console script).

Sub-commands:
  data build|info       build / describe the offline corpus       (mirbook.datasets)
  bench [NAME ...]      run the speed benchmarks in benchmarks/     (mirbook.bench)
  reproduce             print our numbers beside the seed's tables  (mirbook.reproduce)
  scale run             the catalogue pipeline on Dask              (mirbook.scale)

A failure prints one line, ``mirbook <command>: <what went wrong>``, on stderr (no traceback;
``MIRBOOK_DEBUG=1`` shows it) and exits with status 1; a usage error exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> (module with a ``main(argv)`` function, help)
COMMANDS = {
    "data": ("mirbook.datasets.cli", "build or describe the offline corpus"),
    "bench": ("mirbook.bench", "run the speed benchmarks (benchmarks/)"),
    "reproduce": ("mirbook.reproduce", "print our numbers beside the seed's tables"),
    "scale": ("mirbook.scale", "run the catalogue pipeline on Dask (chapter 16)"),
}


def _one_line(exc) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    more = text.count("\n")
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in first:
        first = f"{exc.filename}: {first}"
    return first + (f" (and {more} more line(s))" if more else "")


def _check_environment():
    """Problems with the environment that every sub-command would trip over, or None."""
    env = os.environ.get("MIRBOOK_DATA")
    if env:
        path = os.path.expanduser(env)
        if os.path.exists(path) and not os.path.isdir(path):
            return (f"MIRBOOK_DATA={env} is not a folder (it is a file); point it at a folder "
                    "for the data cache, or unset it")
    return None


def main(argv=None):
    """Run ``mirbook <command> [args]``; return the exit status (0 success, 1 failure, 2 usage).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="mirbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(COMMANDS), help="sub-command")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the sub-command")
    ns = parser.parse_args(argv[:1])
    prog = f"mirbook {ns.command}"
    problem = _check_environment()
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 1
    module_name, _ = COMMANDS[ns.command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            parser.exit(2, f"{prog}: not available in this version of mirbook\n")
        raise
    try:
        status = module.main(argv[1:])
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into one line
        if os.environ.get("MIRBOOK_DEBUG"):
            raise
        print(f"{prog}: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1
    return 0 if status is None else int(status)


if __name__ == "__main__":
    sys.exit(main())

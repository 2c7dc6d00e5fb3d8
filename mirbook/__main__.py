"""Command line: ``python -m mirbook`` (or the ``mirbook`` console script).

Sub-commands:
  data build|info       build / describe the offline corpus       (mirbook.datasets)
  bench [NAME ...]      run the speed benchmarks in benchmarks/     (mirbook.bench)
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with a ``main(argv)`` function, help)
COMMANDS = {
    "data": ("mirbook.datasets.cli", "build or describe the offline corpus"),
    "bench": ("mirbook.bench", "run the speed benchmarks (benchmarks/)"),
    "reproduce": ("mirbook.reproduce", "print our numbers beside the seed's tables"),
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="mirbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(COMMANDS), help="sub-command")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the sub-command")
    ns = parser.parse_args(argv[:1])
    module_name, _ = COMMANDS[ns.command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            parser.exit(2, f"mirbook {ns.command}: not available in this version of mirbook\n")
        raise
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())

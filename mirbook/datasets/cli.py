"""``python -m mirbook data build|info``: build or describe the offline corpora.

Examples::

    python -m mirbook data build                      # every corpus, full size, all cores
    python -m mirbook data build --tiny --only chorales mood
    python -m mirbook data build --only piano --jobs 2
    python -m mirbook data info
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _print_info(report):
    for key, entry in report.items():
        if not entry.get("built"):
            print(f"{key:<20} not built   ({entry['command']})")
            continue
        splits = ", ".join(f"{k} {v}" for k, v in entry["splits"].items())
        print(f"{key:<20} {entry['n_items']:>5} items {entry['megabytes']:>8.1f} MB   {splits}")
        for label, st in entry["labels"].items():
            if st["kind"] == "numeric":
                print(f"    {label:<16} mean {st['mean']:.3g}  std {st['std']:.3g}  "
                      f"range [{st['min']:.3g}, {st['max']:.3g}]")
            else:
                top = ", ".join(f"{k}: {v}" for k, v in list(st["counts"].items())[:6])
                print(f"    {label:<16} {st['n_distinct']} values ({top})")


def main(argv=None):
    from mirbook.datasets import core

    parser = argparse.ArgumentParser(prog="mirbook data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build (or finish building) the offline corpora")
    b.add_argument("--tiny", action="store_true", help="the tiny variants (for tests)")
    b.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(core.CORPORA),
                   help="build only these corpora")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--root", default=None, help="target folder (default: $MIRBOOK_DATA)")
    b.add_argument("--force", action="store_true", help="render every item again")
    i = sub.add_parser("info", help="what is built, sizes, splits, label statistics")
    i.add_argument("--root", default=None)
    i.add_argument("--json", action="store_true", help="print the report as JSON")
    ns = parser.parse_args(argv)

    if ns.action == "info":
        report = core.info(ns.root)
        if ns.json:
            print(json.dumps(report, indent=1))
        else:
            _print_info(report)
        return 0

    names = ns.only or list(core.CORPORA)
    for name in names:
        t0 = time.perf_counter()
        try:
            path = core.build_one(name, tiny=ns.tiny, jobs=ns.jobs, root=ns.root, force=ns.force)
        except core.MissingToolError as exc:
            print(f"mirbook data build: {exc}", file=sys.stderr)
            return 1
        except ModuleNotFoundError as exc:
            if exc.name == core.CORPORA[name]:
                print(f"mirbook data build: corpus {name!r} is not available in this version",
                      file=sys.stderr)
                return 1
            raise
        m = json.loads(path.read_text(encoding="utf-8"))
        print(f"{name}{'-tiny' if ns.tiny else ''}: {m['n_items']} items, "
              f"{m['bytes'] / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s -> {path.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

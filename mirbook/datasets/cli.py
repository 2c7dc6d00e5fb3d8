"""``python -m mirbook data build|info|verify|audit``: build, describe, check or audit the corpora.

Examples::

    python -m mirbook data build                      # every corpus, full size, all cores
    python -m mirbook data build --tiny --only chorales mood
    python -m mirbook data build --only piano --jobs 2
    python -m mirbook data info
    python -m mirbook data verify                     # every file against its manifest
    python -m mirbook data verify --tiny --only chorales
    python -m mirbook data audit                      # the shortcut audit, every corpus
    python -m mirbook data audit --tiny --corpus speech_music
"""

from __future__ import annotations

import argparse
import json
import sys
import time

__all__ = ["main"]


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


def _verify(core, ns):
    names = ns.only
    report = core.verify(names, tiny=ns.tiny, root=ns.root)
    if not report:
        print("mirbook data verify: no corpus is built"
              f"{' (tiny)' if ns.tiny else ''}; build one with python -m mirbook data build",
              file=sys.stderr)
        return 1
    bad = 0
    for name, problems in report.items():
        desc = f"{name}{'-tiny' if ns.tiny else ''}"
        m = core.read_manifest(name, tiny=ns.tiny, root=ns.root)
        n_files = sum(1 + len(r.get("files", {})) for r in m["records"])
        if problems:
            bad += 1
            print(f"{desc}: {len(problems)} bad file(s) of {n_files}:")
            for p in problems:
                print(f"    {p}")
        else:
            print(f"{desc}: all {n_files} files match the manifest")
        ref = core.compare_reference(name, tiny=ns.tiny, manifest=m)
        if ref is not None:
            print(f"    {ref['summary']}")
            bad += bool(ref["differ_labels"] or ref["missing"] or ref["extra"]) and ns.strict
    return 1 if bad else 0


def main(argv=None):
    """Run the ``data`` command line (``argv`` without the program name); returns the exit code."""
    from mirbook.datasets import core

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["audit"]:
        from mirbook.datasets import audit

        return audit.main(argv[1:])
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
    v = sub.add_parser("verify", help="check every file's size and sha256 against the manifest")
    v.add_argument("--tiny", action="store_true")
    v.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(core.CORPORA))
    v.add_argument("--root", default=None)
    v.add_argument("--strict", action="store_true",
                   help="also fail when label files or items differ from data/manifests/")
    sub.add_parser("audit", help="shortcut audit: classifiers on trivial clip statistics must "
                                 "stay near chance (see mirbook.datasets.audit)", add_help=False)
    ns = parser.parse_args(argv)

    try:
        if ns.action == "info":
            report = core.info(ns.root)
            if ns.json:
                print(json.dumps(report, indent=1))
            else:
                _print_info(report)
            return 0
        if ns.action == "verify":
            return _verify(core, ns)
        names = ns.only or list(core.CORPORA)
        for name in names:
            t0 = time.perf_counter()
            path = core.build_one(name, tiny=ns.tiny, jobs=ns.jobs, root=ns.root, force=ns.force)
            m = json.loads(path.read_text(encoding="utf-8"))
            print(f"{name}{'-tiny' if ns.tiny else ''}: {m['n_items']} items, "
                  f"{m['bytes'] / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s -> {path.parent}")
            ref = core.compare_reference(name, tiny=ns.tiny, manifest=m)
            if ref is not None:
                print(f"    {ref['summary']}")
    except (core.MissingToolError, core.CorpusError) as exc:
        print(f"mirbook data {ns.action}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time the full build of the offline corpora and report their size (not run by the tests).

Usage::

    python benchmarks/bench_corpus.py                       # chorales, piano, mood
    python benchmarks/bench_corpus.py --only chorales --jobs 2 --root /tmp/corpus-bench
    python benchmarks/bench_corpus.py --tiny

Each corpus is built from scratch (``force``) into ``--root`` (default: a fresh temporary folder,
removed afterwards unless ``--keep``), so the time includes every rendering. The budget of the
whole offline corpus is 200 MB and 10 minutes on 2 cores (``book/datasets.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path


def main(argv=None):
    from mirbook.datasets import core

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", default=["chorales", "piano", "mood"],
                        choices=sorted(core.CORPORA))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--root", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ns = parser.parse_args(argv)

    os.environ.setdefault("MIRBOOK_PROGRESS", "0")
    root = Path(ns.root) if ns.root else Path(tempfile.mkdtemp(prefix="mirbook-bench-"))
    rows = []
    try:
        for name in ns.only:
            t0 = time.perf_counter()
            path = core.build_one(name, tiny=ns.tiny, jobs=ns.jobs, root=root, force=True)
            dt = time.perf_counter() - t0
            m = json.loads(path.read_text())
            audio_s = sum(r["labels"].get("duration", 0) for r in m["records"])
            rows.append((name + ("-tiny" if ns.tiny else ""), m["n_items"], len(m["skipped"]),
                         dt, m["bytes"] / 1e6, audio_s / 60))
            print(f"{rows[-1][0]:<16} {m['n_items']:>5} items ({len(m['skipped'])} skipped) "
                  f"{dt:7.1f} s {m['bytes'] / 1e6:7.1f} MB {audio_s / 60:6.1f} min of audio",
                  flush=True)
        print(f"{'total':<16} {sum(r[1] for r in rows):>5} items {'':>13}"
              f"{sum(r[3] for r in rows):7.1f} s {sum(r[4] for r in rows):7.1f} MB "
              f"{sum(r[5] for r in rows):6.1f} min of audio  (jobs={ns.jobs or os.cpu_count()})")
    finally:
        if not ns.root and not ns.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

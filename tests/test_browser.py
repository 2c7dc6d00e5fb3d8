"""The built book, read page by page in headless Chromium as a reader sees it (``make browser``).

``make test`` and ``make book`` run ``pytest tests/test_browser.py --book=_build/html`` after the
HTML build: the book is served on 127.0.0.1 and every page is loaded in Debian's Chromium
(``scripts/system-deps.sh`` installs it), driven by Playwright, with every request outside
127.0.0.1 refused (the book must work offline). On each page:

- no console error, no uncaught exception, no request that left 127.0.0.1;
- every ``<img>`` loaded (``naturalWidth > 0``);
- chapters: the page shows as many images as its notebook draws figures, counted from the code
  (:func:`figures_drawn`: ``plt.subplots``/``plt.figure``/``mirbook.plot`` helpers...) and checked
  against the executed notebook's image outputs (``_build/jupyter_execute``);
- every ``<audio>`` has a source and a visible label (the row of a :func:`mirbook.plot.players`
  table, or an ``aria-label``/caption);
- no raw ``\\(``, ``\\[`` or ``$$`` left in the text once MathJax has run, no MathJax error;
- at 1280 px, no element wider than the content column and no clipped (scrolling) block;
- exercise solutions (the code cells after ``## Exercises``) collapsed on load;
- the page and its images weigh at most 4 MB;
- chapters: text output lines at most 88 characters;
- the API reference lists every public function of every public module (``objects.inv``).

Without ``--book`` the page checks are skipped; the unit tests of the figure counter always run.
"""

from __future__ import annotations

import ast
import functools
import http.server
import importlib
import inspect
import json
import os
import posixpath
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("MIRBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_LINE = 88
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}


# ---- what a notebook draws, from its code ------------------------------------------------------

#: pyplot functions that open a new figure.
NEW_FIGURE = {"subplots", "figure", "subplot_mosaic"}
#: pyplot drawing functions that open a figure when the cell has none yet.
IMPLICIT = {"plot", "imshow", "bar", "barh", "hist", "scatter", "stem", "pcolormesh", "matshow",
            "specgram", "step", "semilogy", "semilogx", "loglog", "fill_between", "errorbar"}


@functools.cache
def _plot_helpers() -> frozenset:
    """The functions of mirbook.plot that draw a figure of their own when ``ax`` is not given."""
    plot = importlib.import_module("mirbook.plot")
    return frozenset(name for name in plot.__all__
                     if inspect.isfunction(getattr(plot, name)) and name not in NOT_DRAWING)


#: the public functions of mirbook.plot that draw nothing (every other one opens a figure when
#: it is called without ``ax=``)
NOT_DRAWING = {"setup", "encode_player", "players"}


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _aliases(tree) -> tuple[set, set, set]:
    """(pyplot aliases, mirbook.plot module aliases, names imported from mirbook.plot)."""
    pyplot, plot_modules, plot_names = {"plt"}, {"mirbook.plot"}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "matplotlib.pyplot":
                    pyplot.add(a.asname or a.name)
                elif a.name == "mirbook.plot":
                    plot_modules.add(a.asname or a.name)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if node.module == "matplotlib" and a.name == "pyplot":
                    pyplot.add(a.asname or "pyplot")
                elif node.module == "mirbook" and a.name == "plot":
                    plot_modules.add(a.asname or "plot")
                elif node.module == "mirbook.plot":
                    plot_names.add(a.asname or a.name)
    return pyplot, plot_modules, plot_names


def figures_drawn(sources: list[str]) -> list[tuple[int, bool]]:
    """Figures each code cell draws, read from the code: ``(count, exact)`` per cell.

    A figure is opened by ``plt.subplots``/``plt.figure``/``plt.subplot_mosaic``, by a
    :mod:`mirbook.plot` helper called without ``ax=``, or by a pyplot drawing call in a cell that
    opens none. ``exact`` is False when such a call sits in a loop (the count is then a lower
    bound). Imports are followed across cells (``import matplotlib.pyplot as plt`` in cell 2).

    >>> figures_drawn(["import matplotlib.pyplot as plt", "fig, ax = plt.subplots()", "x = 1"])
    [(0, True), (1, True), (0, True)]
    """
    trees = []
    for src in sources:
        try:
            trees.append(ast.parse(_strip_magics(src)))
        except SyntaxError:
            trees.append(ast.Module(body=[], type_ignores=[]))
    pyplot, plot_modules, plot_names = set(), set(), set()
    for tree in trees:
        a, b, c = _aliases(tree)
        pyplot |= a
        plot_modules |= b
        plot_names |= c
    helpers = _plot_helpers()

    def opens_figure(node, local):
        name = _dotted(node.func)
        head, _, attr = name.rpartition(".")
        if head in pyplot and attr in NEW_FIGURE:
            return True
        if (head in plot_modules and attr in helpers) or (not head and name in plot_names
                                                          and name in helpers):
            return not any(k.arg == "ax" for k in node.keywords)
        return not head and name in local

    # functions the notebook defines that open a figure: their calls draw one each
    local, defs = set(), [n for t in trees for n in ast.walk(t)
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for _ in range(3):  # (a helper may call another)
        local |= {d.name for d in defs if any(isinstance(c, ast.Call) and opens_figure(c, local)
                                              for c in ast.walk(d))}
    counts = []
    for tree in trees:
        new, implicit, exact = 0, 0, True
        in_def = {id(sub) for d in ast.walk(tree)
                  if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                  for sub in ast.walk(d)}
        loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While, ast.comprehension,
                                                              ast.ListComp, ast.GeneratorExp))]
        in_loop = {id(sub) for loop in loops for sub in ast.walk(loop) if sub is not loop}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in in_def:
                continue  # a function's body draws when it is called, not when it is defined
            head, _, attr = _dotted(node.func).rpartition(".")
            if opens_figure(node, local):
                new += 1
                exact = exact and id(node) not in in_loop
            elif head in pyplot and attr in IMPLICIT:
                implicit = 1
        counts.append((new or implicit, exact))
    return counts


def image_outputs(cell) -> int:
    """Number of figures a code cell of an executed notebook shows."""
    return sum(1 for out in cell.get("outputs", [])
               if out.get("output_type") in ("display_data", "execute_result")
               and any(k.startswith("image/") for k in out.get("data", {})))


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


# ---- serving and reading the book --------------------------------------------------------------

@dataclass
class Visit:
    """What one page showed."""

    url: str
    errors: list = field(default_factory=list)  # console errors, exceptions, refused requests
    report: dict = field(default_factory=dict)  # what the page's script measured


_MEASURE = r"""
async () => {
  const col = document.querySelector('article.bd-article') || document.querySelector('main')
            || document.body;
  const out = {images: [], audio: [], raw_math: [], math_errors: 0, wide: [], open_solutions: [],
               has_math: !!document.querySelector('.math, .MathJax, mjx-container')};
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) { out.math_errors += 1; }
  }
  out.mathjax = !!(window.MathJax && MathJax.version);
  for (const img of col.querySelectorAll('img')) {
    out.images.push({src: img.getAttribute('src') || '', ok: img.complete && img.naturalWidth > 0,
                     output: !!img.closest('.cell_output, .output')});
  }
  // inside a closed <details> (a hide-cell toggle) nothing shows, whatever the layout says
  const visible = el => !!(el && !el.closest('details:not([open])')
                           && (el.checkVisibility ? el.checkVisibility({visibilityProperty: true})
                                                  : el.getClientRects().length)
                           && getComputedStyle(el).visibility !== 'hidden');
  for (const a of document.querySelectorAll('audio')) {
    const src = a.getAttribute('src') || (a.querySelector('source[src]') || {}).src || '';
    let label = '';
    const row = a.closest('tr');
    if (row) {
      // the label cell, never the duration column of mirbook.plot.players
      for (const c of row.querySelectorAll('th, td:not(.mirbook-duration)')) {
        // textContent, not innerText: a player inside a collapsed solution is labelled too
        if (!c.contains(a) && c.textContent.trim()) { label = c.textContent.trim(); break; }
      }
    }
    const fig = a.closest('figure');
    if (!label && fig && fig.querySelector('figcaption')) label = fig.querySelector('figcaption').innerText.trim();
    const hidden_parent = !visible(a);
    out.audio.push({src: src.slice(0, 40), has_source: src.length > 0, label: label,
                    hidden: hidden_parent, text: (a.parentElement.innerText || '').slice(0, 60)});
  }
  out.math_errors += col.querySelectorAll('mjx-merror, .MathJax_Error').length;
  const walker = document.createTreeWalker(col, NodeFilter.SHOW_TEXT, {acceptNode(n) {
    return n.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
  let text = '';
  while (walker.nextNode()) text += walker.currentNode.nodeValue;
  for (const m of text.matchAll(/\\\(|\\\[|\$\$/g)) {
    out.raw_math.push(text.slice(Math.max(0, m.index - 30), m.index + 40).replace(/\s+/g, ' '));
    if (out.raw_math.length >= 5) break;
  }
  const right = col.getBoundingClientRect().right;
  const describe = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '') + ' "'
      + (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 70) + '"';
  const clipping = new Set();  // elements that scroll or clip: their content is judged there
  for (const el of col.querySelectorAll('*')) {
    if (out.wide.length >= 8) break;
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    const ox = getComputedStyle(el).overflowX;
    if (ox !== 'visible') clipping.add(el);
    let inside = false;
    for (let a = el.parentElement; a && a !== col; a = a.parentElement) {
      if (clipping.has(a)) { inside = true; break; }
    }
    if (inside) continue;
    if (r.width > 0 && r.right > right + 1) {
      out.wide.push('wider than the column by ' + Math.round(r.right - right) + ' px: ' + describe(el));
    } else if (ox !== 'visible' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
               && !getComputedStyle(el).display.startsWith('inline')) {
      // (inline math is inline-flex with overflow hidden: MathJax glyphs overhang by a few px)
      out.wide.push('clipped, scrolls ' + (el.scrollWidth - el.clientWidth) + ' px: ' + describe(el));
    }
  }
  const ex = document.querySelector('section#exercises');
  if (ex) {
    for (const cell of ex.querySelectorAll('div.cell')) {
      for (const part of cell.querySelectorAll('.cell_input, .cell_output')) {
        if (visible(part)) out.open_solutions.push(describe(part));
      }
    }
  }
  out.exercises = !!ex;
  return out;
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(root: Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _router(visit):
    """Requests outside 127.0.0.1 are refused and reported (Playwright passes (route, request))."""
    def route(route, request):
        if urlsplit(request.url).hostname not in ("127.0.0.1", None):
            visit.errors.append(f"request outside 127.0.0.1: {request.url}")
            return route.abort()
        return route.continue_()
    return route


def _on_console(visit):
    def listener(message):
        if message.type == "error":
            visit.errors.append(f"console error: {message.text}")
    return listener


def _on_exception(visit):
    def listener(error):
        visit.errors.append(f"exception: {error}")
    return listener


def _book_pages(book: Path) -> list[str]:
    pages = []
    for path in sorted(book.rglob("*.html")):
        rel = path.relative_to(book)
        if SKIP_DIRS & set(rel.parts[:-1]):
            continue
        if re.search(r'<meta http-equiv="refresh"', path.read_text(errors="replace")[:2000], re.I):
            continue  # index.html: a redirect to the landing page, which is read itself
        pages.append(rel.as_posix())
    return pages


def _book(config) -> Path | None:
    value = config.getoption("--book", default=None)
    return Path(value).resolve() if value else None


def pytest_generate_tests(metafunc):
    if "page" in metafunc.fixturenames:
        book = _book(metafunc.config)
        pages = _book_pages(book) if book and book.is_dir() else [None]
        if "chapter" in metafunc.function.__name__:
            pages = [p for p in pages if p is None or p.startswith("notebooks/")] or [None]
        metafunc.parametrize("page", pages, ids=lambda p: p or "no-book")


@pytest.fixture(scope="module")
def book(request) -> Path:
    path = _book(request.config)
    if path is None:
        pytest.skip("the built book is read with --book=_build/html (make browser)")
    assert (path / "index.html").is_file(), f"no built book in {path} (run make html first)"
    return path


@pytest.fixture(scope="module")
def visits(book):
    """Load every page once in Chromium; the tests below read what each page showed."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: scripts/system-deps.sh installs chromium"
    server = _serve(book)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            for rel in _book_pages(book):
                visit = Visit(url=base + rel)
                page = context.new_page()

                page.route("**/*", _router(visit))
                page.on("console", _on_console(visit))
                page.on("pageerror", _on_exception(visit))
                try:
                    page.goto(visit.url, wait_until="load", timeout=60_000)
                    page.wait_for_timeout(300)
                    visit.report = page.evaluate(_MEASURE)
                except Exception as exc:  # one broken page must not hide what the others show
                    visit.errors.append(f"could not read the page: {exc}")
                    visit.report = {}
                results[rel] = visit
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return results


def _visit(visits, page) -> Visit:
    if page is None:
        pytest.skip("no --book")
    visit = visits[page]
    assert visit.report, f"{page}: " + "; ".join(visit.errors)
    return visit


def _executed(book: Path, page: str):
    """The executed notebook of a chapter page, with its outputs: from the execution cache next
    to html/ (``_build/.jupyter_cache``, which make test fills and the book build reads), else
    from ``_build/jupyter_execute`` (written with outputs only when the book build executed)."""
    source = book.parent.parent / Path(page).with_suffix(".ipynb")
    cache = book.parent / ".jupyter_cache"
    if cache.is_dir() and source.is_file():
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(str(cache)).merge_match_into_file(str(source))
            return json.loads(json.dumps(nb))
        except KeyError:
            pass  # not cached: the build executed it itself
    path = book.parent / "jupyter_execute" / Path(page).with_suffix(".ipynb")
    assert path.is_file(), f"no executed notebook for {page} in {cache} nor {path}"
    return json.loads(path.read_text())


def _source_notebook(page: str):
    return json.loads((ROOT / Path(page).with_suffix(".ipynb")).read_text())


# ---- the checks, one test per page and per kind ------------------------------------------------

@pytest.mark.browser
def test_no_console_errors_and_no_network(visits, page):
    if page is None:
        pytest.skip("no --book")
    errors = visits[page].errors
    assert not errors, f"{page}:\n" + "\n".join(errors[:10])


@pytest.mark.browser
def test_every_image_loads(visits, page):
    broken = [i["src"][:80] for i in _visit(visits, page).report["images"] if not i["ok"]]
    assert not broken, f"{page}: images that did not load: {broken}"


@pytest.mark.browser
def test_chapter_shows_every_figure_its_notebook_draws(visits, book, page):
    visit = _visit(visits, page)
    executed = _executed(book, page)
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    drawn = figures_drawn([_src(c) for c in code])
    problems = []
    for i, (cell, (n_drawn, exact)) in enumerate(zip(code, drawn)):
        n_shown = image_outputs(cell)
        if n_shown < n_drawn or (exact and n_shown != n_drawn):
            problems.append(f"code cell {i}: draws {'' if exact else 'at least '}{n_drawn} "
                            f"figure(s), shows {n_shown}: {_src(cell).splitlines()[:1]}")
    on_page = sum(1 for i in visit.report["images"] if i["output"])
    shown = sum(image_outputs(c) for c in code)
    if on_page != shown:
        problems.append(f"the page has {on_page} output images, the notebook shows {shown}")
    total = sum(n for n, _ in drawn)
    assert not problems, f"{page} draws {total} figures:\n" + "\n".join(problems)


@pytest.mark.browser
def test_every_player_has_a_source_and_a_label(visits, page):
    bad = [a for a in _visit(visits, page).report["audio"] if not (a["has_source"] and a["label"])]
    assert not bad, (f"{page}: {len(bad)} audio player(s) without a source or a visible label "
                     f"(show them with mirbook.plot.players): {bad[:3]}")


@pytest.mark.browser
def test_math_is_typeset_offline(visits, page):
    report = _visit(visits, page).report
    assert not report["raw_math"], f"{page}: raw TeX left after MathJax: {report['raw_math']}"
    assert report["math_errors"] == 0, f"{page}: {report['math_errors']} MathJax error(s)"
    if report["has_math"]:
        assert report["mathjax"], f"{page} has math but MathJax did not load"


@pytest.mark.browser
def test_nothing_wider_than_the_content_column(visits, page):
    wide = _visit(visits, page).report["wide"]
    assert not wide, f"{page} at {VIEWPORT['width']} px:\n" + "\n".join(wide)


@pytest.mark.browser
def test_chapter_solutions_are_collapsed_on_load(visits, page):
    report = _visit(visits, page).report
    assert report["exercises"], f"{page} has no section 'Exercises'"
    assert not report["open_solutions"], (
        f"{page}: {len(report['open_solutions'])} solution part(s) visible on load (tag the "
        f"solution cells hide-cell): {report['open_solutions'][:3]}")


@pytest.mark.browser
def test_page_weight(book, visits, page):
    visit = _visit(visits, page)
    size = (book / page).stat().st_size
    for img in {i["src"] for i in visit.report["images"]}:
        if img and not img.startswith(("data:", "http")):
            target = (book / posixpath.dirname(page) / img.split("?")[0]).resolve()
            if target.is_file():
                size += target.stat().st_size
    assert size <= MAX_PAGE_BYTES, f"{page}: {size / 2**20:.2f} MB (limit 4 MB)"


@pytest.mark.browser
def test_chapter_output_lines_fit(book, page):
    if page is None:
        pytest.skip("no --book")
    long = []
    for i, cell in enumerate(c for c in _executed(book, page)["cells"] if c["cell_type"] == "code"):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = out.get("text") or ("" if "text/html" in data else data.get("text/plain", ""))
            text = "".join(text) if isinstance(text, list) else text
            long += [f"code cell {i}: {len(line)} chars: {line[:60]}..."
                     for line in text.splitlines() if len(line) > MAX_LINE]
    assert not long, f"{page}: {len(long)} output lines over {MAX_LINE} characters:\n" + "\n".join(
        long[:10])


@pytest.mark.browser
def test_api_reference_lists_every_public_function(book):
    from sphinx.util.inventory import InventoryFile

    with open(book / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", posixpath.join)
    documented = set(inventory.get("py:function", {})) | set(inventory.get("py:method", {}))
    documented |= set(inventory.get("py:class", {}))
    sys_path = str(ROOT / "book" / "_ext")
    import sys
    sys.path.insert(0, sys_path)
    try:
        from mirbook_sphinx import public_modules
    finally:
        sys.path.remove(sys_path)
    missing = []
    for name in public_modules():
        module = importlib.import_module(name)
        public = getattr(module, "__all__", None)
        for fname, obj in vars(module).items():
            if fname.startswith("_") or (public is not None and fname not in public):
                continue
            if inspect.isfunction(obj) and obj.__module__ == name and f"{name}.{fname}" not in documented:
                missing.append(f"{name}.{fname}")
    assert not missing, f"{len(missing)} public functions not in the API reference: {missing[:10]}"


# ---- the figure counter itself (no book needed) ------------------------------------------------

@pytest.mark.parametrize("sources, expected", [
    (["import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1])"], [(1, True)]),
    (["import matplotlib.pyplot as plt", "plt.figure()\nplt.plot([1])\nplt.figure()"],
     [(0, True), (2, True)]),
    (["import matplotlib.pyplot as plt", "plt.plot([1])\nplt.title('x')"], [(0, True), (1, True)]),
    (["import matplotlib.pyplot as plt", "for i in range(3):\n    fig, ax = plt.subplots()"],
     [(0, True), (1, False)]),
    (["from mirbook import plot as MP", "MP.spectrogram(y, sr=sr)",
      "fig, ax = plt.subplots()\nMP.spectrogram(y, sr=sr, ax=ax)", "MP.players({'a': y})"],
     [(0, True), (1, True), (1, True), (0, True)]),
    (["from mirbook.plot import waveform, players", "waveform(y)\nwaveform(y)", "players({})"],
     [(0, True), (2, True), (0, True)]),
    (["import mirbook.plot", "mirbook.plot.specshow(S)"], [(0, True), (1, True)]),
    (["%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.subplots()", "print(1"],
     [(1, True), (0, True)]),
    (["from matplotlib import pyplot\npyplot.subplots(2, 1)"], [(1, True)]),
    (["import matplotlib.pyplot as plt\ndef show(x):\n    fig, ax = plt.subplots()\n",
      "show(1)\nshow(2)", "def twice():\n    show(1)\n    show(2)"], [(0, True), (2, True),
                                                                   (0, True)]),
])
def test_figures_drawn(sources, expected):
    assert figures_drawn(sources) == expected


def test_image_outputs_counts_figures_only():
    cell = {"outputs": [
        {"output_type": "display_data", "data": {"image/png": "...", "text/plain": "<Figure>"}},
        {"output_type": "stream", "name": "stdout", "text": "x"},
        {"output_type": "display_data", "data": {"text/html": "<table/>"}},
        {"output_type": "execute_result", "data": {"image/svg+xml": "<svg/>"}},
    ]}
    assert image_outputs(cell) == 2

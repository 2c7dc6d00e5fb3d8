"""The book's conventions, enforced (CONTRIBUTING.md): notebooks, table of contents, config, deps."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
import yaml

import mirbook
from mirbook.config import REPOSITORY_URL

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAX_LINE = 88  # code and output lines (black/ruff's default): they fit the book's column
MAX_CELL_LINES = 60  # longer code belongs in mirbook
#: Notebook content is updated in a later phase of the redesign (issue 11); until then these fail.


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def _load(nb_path):
    return json.loads(nb_path.read_text())


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebook in notebooks/"


def test_repository_url_set_in_one_place():
    url = CONFIG["repository"]["url"]
    assert url == REPOSITORY_URL, "mirbook.config.REPOSITORY_URL must equal _config.yml"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["urls"]["Homepage"] == url
    assert CONFIG["launch_buttons"]["colab_url"]


def test_book_config_is_strict_and_offline():
    execute = CONFIG["execute"]
    assert execute["allow_errors"] is False
    assert execute["stderr_output"] == "severe"
    assert execute["execute_notebooks"] in ("cache", "force")
    assert "intersphinx_mapping" not in json.dumps(CONFIG)
    assert CONFIG["bibtex_bibfiles"] == ["book/references.bib"]


def test_every_toc_entry_exists():
    for entry in _toc_files(TOC):
        matches = [p for p in (ROOT / f"{entry}{ext}" for ext in (".md", ".rst", ".ipynb"))
                   if p.exists()]
        assert matches, f"_toc.yml lists {entry}, which does not exist"


def test_every_cited_key_is_in_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    sources = [p.read_text() for p in (ROOT / "book").glob("*.md")] + [
        "\n".join(_src(c) for c in _load(nb)["cells"] if c["cell_type"] == "markdown")
        for nb in NOTEBOOKS
    ]
    cited = set()
    for text in sources:
        for group in re.findall(r"\{cite:\w+\}`([^`]+)`", text):
            cited.update(k.strip() for k in group.split(","))
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_name_is_numbered(self, nb_path):
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb_path.name)

    def test_in_toc(self, nb_path):
        assert f"notebooks/{nb_path.stem}" in set(_toc_files(TOC)), f"{nb_path.name} not in _toc.yml"

    def test_stored_without_outputs(self, nb_path):
        for i, cell in enumerate(_load(nb_path)["cells"]):
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{nb_path.name} cell {i} has outputs (run `make strip`)"
                assert cell.get("execution_count") is None, f"{nb_path.name} cell {i} has a count"

    def test_title_cell(self, nb_path):
        first = _load(nb_path)["cells"][0]
        number = int(nb_path.name[:2])
        assert first["cell_type"] == "markdown"
        assert re.match(rf"# {number}\. \S", _src(first)), "first cell must be '# N. Title'"

    def test_colab_setup_cell_does_nothing_outside_colab(self, nb_path):
        cell = _load(nb_path)["cells"][1]
        src = _src(cell)
        assert cell["cell_type"] == "code"
        assert 'if "google.colab" in sys.modules:' in src, "set-up cell must do nothing outside Colab"
        assert f"mirbook @ git+{CONFIG['repository']['url']}" in src, (
            "Colab set-up cell must install mirbook from repository.url of _config.yml")
        # outside the guard, the cell only imports sys
        outside = [line for line in src.splitlines()
                   if line and not line.startswith((" ", "#")) and not line.startswith("if ")]
        assert outside == ["import sys"], outside

    def test_colab_setup_cell_has_the_one_shape(self, nb_path):
        src = _src(_load(nb_path)["cells"][1])
        nodeps = []
        apt, corpora = _colab_parts(src, nodeps=nodeps)
        assert src.rstrip("\n") == colab_cell(CONFIG["repository"]["url"], apt=apt,
                                               corpora=corpora, nodeps=nodeps), (
            "the Colab set-up cell has the shape of CONTRIBUTING.md (tests.test_conventions."
            "colab_cell): pip install, then apt-get update + install, then the corpora")
        assert set(apt) <= set(_system_packages()), "apt packages come from scripts/system-deps.sh"
        for spec in nodeps:
            name, _, version = spec.partition("==")
            assert re.search(rf"^{re.escape(spec)}$", (ROOT / "constraints.txt").read_text(),
                             re.M), f"{spec}: a --no-deps package pinned as in constraints.txt"

    def test_colab_setup_cell_updates_apt_before_installing(self, nb_path):
        runs = _colab_runs(_src(_load(nb_path)["cells"][1]))
        for i, args in enumerate(runs):
            if args[:2] == ["apt-get", "install"]:
                assert i > 0 and runs[i - 1][:2] == ["apt-get", "update"], (
                    "apt-get install without apt-get update just before it (Colab's lists are stale)")

    def test_imports_mirbook(self, nb_path):
        code = "\n".join(_src(c) for c in _load(nb_path)["cells"][2:] if c["cell_type"] == "code")
        assert re.search(r"^\s*(import mirbook|from mirbook)", code, re.M)

    def test_asserts_a_number(self, nb_path):
        code = "\n".join(_src(c) for c in _load(nb_path)["cells"] if c["cell_type"] == "code")
        assert re.search(r"^\s*assert ", code, re.M), "a chapter asserts its headline numbers"

    def test_ends_with_exercises_and_hidden_solutions(self, nb_path):
        cells = _load(nb_path)["cells"]
        heads = [i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and re.search(r"^## Exercises", _src(c), re.M)]
        assert heads, "no '## Exercises' section"
        after = cells[heads[-1]:]
        solutions = [c for c in after if c["cell_type"] == "code"]
        assert solutions, "exercises without solutions"
        for c in solutions:
            tags = c.get("metadata", {}).get("tags", [])
            assert "hide-cell" in tags, (
                "a solution is hidden whole, code and output, behind a toggle (tag hide-cell)")

    def test_no_code_cell_over_60_lines(self, nb_path):
        for i, c in enumerate(_load(nb_path)["cells"]):
            if c["cell_type"] == "code":
                n = len(_src(c).splitlines())
                assert n <= MAX_CELL_LINES, f"cell {i}: {n} lines, move long code into mirbook"

    def test_at_most_two_small_defs(self, nb_path):
        """Code a chapter teaches lives in mirbook; a notebook keeps at most 2 small helpers."""
        code = [_src(c) for c in _load(nb_path)["cells"] if c["cell_type"] == "code"]
        defs = [m for cell in code for m in re.findall(r"^\s*def (\w+)", cell, re.M)]
        assert len(defs) <= 2, f"{len(defs)} defs ({', '.join(defs)}): move them into mirbook"

    def test_calls_only_public_mirbook_names(self, nb_path):
        """No notebook reaches into a private name of the package (``R._make``...)."""
        import ast

        code = "\n".join(_src(c) for c in _load(nb_path)["cells"] if c["cell_type"] == "code")
        tree = ast.parse("\n".join(l for l in code.splitlines() if not l.lstrip().startswith(("%", "!"))))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mirbook"):
                bad = [a.name for a in node.names if a.name.startswith("_")]
                assert not bad, f"imports private {bad} from {node.module}"
                aliases.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("mirbook"):
                        aliases.add((a.asname or a.name).split(".")[0])
        private = sorted({f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
                          if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                          and n.value.id in aliases and n.attr.startswith("_")
                          and not n.attr.startswith("__")})
        assert not private, f"private mirbook names used: {private}"

    def test_code_lines_fit_the_column(self, nb_path):
        long = [f"cell {i}: {len(line)} chars: {line[:50]}..."
                for i, c in enumerate(_load(nb_path)["cells"]) if c["cell_type"] == "code"
                for line in _src(c).splitlines() if len(line) > MAX_LINE]
        assert not long, f"{len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long)


def colab_cell(url, *, apt=(), corpora=(), nodeps=()):
    """The one shape of a chapter's Colab set-up cell (CONTRIBUTING.md shows it).

    ``nodeps``: pinned packages that go in with ``pip install --no-deps`` after mirbook, as the
    Makefile installs them (basic-pitch, whose declared TensorFlow is not needed).
    """
    lines = [
        "# Colab set-up: on Google Colab this installs mirbook and what this chapter needs.",
        "# Anywhere else (your machine, the book build, CI) it does nothing.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",',
        f'                    "mirbook @ git+{url}"], check=True)',
    ]
    if nodeps:
        lines += ['    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",',
                  "                    " + ", ".join(f'"{p}"' for p in nodeps) + "], check=True)"]
    if apt:
        lines += ['    subprocess.run(["apt-get", "update", "-q"], check=True)',
                  '    subprocess.run(["apt-get", "install", "-y", "-q",',
                  "                    " + ", ".join(f'"{p}"' for p in apt) + "], check=True)"]
    if corpora:
        lines += ['    subprocess.run([sys.executable, "-m", "mirbook", "data", "build",',
                  '                    "--only", ' + ", ".join(f'"{c}"' for c in corpora)
                  + "], check=True)"]
    return "\n".join(lines)


def _colab_runs(src):
    """The argument lists of the set-up cell's subprocess.run calls (sys.executable as 'python')."""
    runs = []
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run" and node.args and isinstance(node.args[0], ast.List)):
            runs.append(["python" if isinstance(e, ast.Attribute) else getattr(e, "value", "?")
                         for e in node.args[0].elts])
    return runs


def _colab_parts(src, *, nodeps=None):
    apt, corpora = [], []
    for args in _colab_runs(src):
        if args[:4] == ["python", "-m", "pip", "install"] and "--no-deps" in args:
            if nodeps is not None:
                nodeps += args[args.index("--no-deps") + 1:]
        elif args[:2] == ["apt-get", "install"]:
            apt += [a for a in args[2:] if not a.startswith("-")]
        elif args[:5] == ["python", "-m", "mirbook", "data", "build"] and "--only" in args:
            corpora += args[args.index("--only") + 1:]
    return apt, corpora


def _system_packages():
    text = (ROOT / "scripts" / "system-deps.sh").read_text()
    return re.search(r"^PACKAGES=\(([^)]*)\)", text, re.M).group(1).split()


def test_colab_cell_shape_is_the_one_in_contributing():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    example = colab_cell(CONFIG["repository"]["url"], apt=["libfluidsynth3"],
                         corpora=["chorales"])
    assert example in text, "CONTRIBUTING.md shows the Colab cell of tests/test_conventions.py"
    assert _colab_parts(example) == (["libfluidsynth3"], ["chorales"])


def test_environment_yml_mirrors_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = (ROOT / "environment.yml").read_text().lower()
    deps = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["book"]
    for dep in deps:
        name = re.split(r"[<>=!~ \[]", dep, maxsplit=1)[0].lower()
        assert re.search(rf"^\s*- {re.escape(name)}\b", env, re.M), f"{name} missing from environment.yml"


def test_constraints_pin_torch_and_jupyter_book_v1():
    text = (ROOT / "constraints.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", text, re.M)
    assert re.search(r"^jupyter-book<2$", text, re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme


def test_version_is_the_one_in_pyproject():
    assert mirbook.__version__ == PYPROJECT["project"]["version"]
    assert installed_version("mirbook") == mirbook.__version__, "reinstall: pip install -e ."


def test_nbval_is_pinned_exactly():
    # conftest.py reaches into nbval's kernel module: an nbval release may change it
    book = PYPROJECT["project"]["optional-dependencies"]["book"]
    pins = [d for d in book if re.match(r"nbval\b", d)]
    assert len(pins) == 1 and re.fullmatch(r"nbval==\d+\.\d+\.\d+", pins[0]), pins


def test_make_test_runs_doctests_notebooks_and_the_browser():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    pytest_line = next(line for line in recipe.splitlines() if "pytest" in line)
    assert "--doctest-modules" in pytest_line and " mirbook " in pytest_line
    assert "--nbval-lax" in pytest_line and "--nbcache" in pytest_line
    assert recipe.index("html") < recipe.index("browser"), "the browser test reads the built HTML"
    assert "chromium" in _system_packages()


def test_book_is_offline_and_cites_one_way():
    sphinx = CONFIG["sphinx"]
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]
    assert not sphinx["config"]["mathjax_path"].startswith(("http:", "https:", "//"))
    assert sphinx["config"]["bibtex_reference_style"] == "author_year"
    assert sphinx["config"]["bibtex_default_style"] == "authoryear"  # book/_ext/mirbook_sphinx.py
    assert "sphinx.ext.autodoc" in sphinx["extra_extensions"]
    assert "book/api" in set(_toc_files(TOC))


def test_landing_page_outline_matches_the_sidebar():
    intro = (ROOT / "book" / "intro.md").read_text()
    captions = [part["caption"] for part in TOC["parts"]]
    outline = re.findall(r"^\*\*(Part [IVX]+\.[^*]+)\*\*", intro, re.M)
    assert [c.rstrip(".") for c in outline] == [c for c in captions if c.startswith("Part ")]
    for heading in ("Who it is for", "Prerequisites", "A course plan"):
        assert f"## {heading}" in intro


_NB_STDERR = {
    "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
               "source": "import os\nos.write(2, b'from C\\n')"}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}


@pytest.mark.slow
def test_nbval_fails_a_cell_that_writes_to_stderr_even_from_c(tmp_path):
    """The book build refuses stderr (stderr_output: severe); make test's nbval run must too."""
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (tmp_path / "c.ipynb").write_text(json.dumps(_NB_STDERR))
    done = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "c.ipynb", "-q",
                           "-p", "no:cacheprovider", f"--nbcache={tmp_path / 'cache'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "wrote to stderr" in done.stdout and "from C" in done.stdout
    assert not (tmp_path / "cache").exists(), "a failed notebook is not cached"

"""The book's conventions, enforced (CONTRIBUTING.md): notebooks, table of contents, config, deps."""

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

import mirbook
from mirbook.config import REPOSITORY_URL

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


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
        matches = [p for p in (ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")) if p.exists()]
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

    def test_colab_setup_cell(self, nb_path):
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
            assert "hide-input" in tags, "solutions are hidden behind a toggle (tag hide-input)"

    def test_no_200_line_cells(self, nb_path):
        for i, c in enumerate(_load(nb_path)["cells"]):
            if c["cell_type"] == "code":
                assert len(_src(c).splitlines()) <= 60, f"cell {i}: move long code into mirbook"


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


def test_version():
    assert mirbook.__version__

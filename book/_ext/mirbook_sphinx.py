"""Sphinx glue of the mirbook book (loaded through ``sphinx.local_extensions`` in _config.yml).

- ``.. mirbook-api::``: one section per public module of :mod:`mirbook`, each documented by
  autodoc from its docstrings; the list of modules is the package's own (``pkgutil``), so a new
  module appears in the API reference without editing the book.
- The ``authoryear`` bibliography style: the list's labels read like the citations in the text
  ("Bello et al., 2005"), one citation style in text and list.
- Each inline script once per page: sphinx-thebe registers its configuration script twice, which
  logs ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` on every page.
"""

from __future__ import annotations

import pkgutil
import re
from collections import Counter
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitleSorting
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def public_modules(package_name: str = "mirbook") -> list[str]:
    """Names of the public modules of a package (no ``_private`` part, no ``__main__``)."""
    import importlib

    package = importlib.import_module(package_name)
    names = []
    for info in pkgutil.walk_packages(package.__path__, package_name + "."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        names.append(info.name)
    return sorted(names)


def own_members(module_name: str) -> list[str]:
    """The public names a module defines itself (re-exports are documented where they live)."""
    import importlib
    import inspect

    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    own = []
    for n in names:
        obj = getattr(module, n, None)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) \
                and getattr(obj, "__module__", None) == module_name:
            own.append(n)
    return own


def foreign_members(module_name: str) -> list[str]:
    """Public names a module re-exports from elsewhere: documented only where they are defined
    (otherwise each would have two targets and cross-references become ambiguous)."""
    import importlib

    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    own = set(own_members(module_name))
    return [n for n in names if n not in own and not (
        n.isupper() and not hasattr(getattr(module, n, None), "__module__"))]


class MirbookApi(SphinxDirective):
    """One automodule section per public module of mirbook."""

    has_content = False

    def run(self):
        lines = []
        for name in public_modules():
            members = own_members(name)
            lines += [name, "-" * len(name), "", f".. automodule:: {name}"]
            others = foreign_members(name)
            lines += ["   :members:" if members else "   :no-index:"]
            lines += [f"   :exclude-members: {', '.join(others)}"] if others else []
            lines += [""]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="mirbook-api"), container)
        return container.children


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Surname, 2005", "A and B, 2005", "A et al., 2005"; "2005a", "2005b" when equal."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            else:
                yield label

    @staticmethod
    def _label(entry):
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.prelast_names + p.last_names) for p in persons]
        if not names:
            who = entry.fields.get("organization") or entry.fields.get("key") or entry.key
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        who = who.replace("{", "").replace("}", "")
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = AuthorYearTitleSorting


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated scripts (same file or same inline body, whatever their priority), in place:
    the list is the builder's, which handlers of this event append to (MathJax's does)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = (getattr(script, "filename", str(script)),
               getattr(script, "attributes", {}).get("body"))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


_INLINE_SCRIPT = re.compile(r"[ \t]*<script>[^<]*</script>\n?")


def _dedupe_inline_scripts_in_html(app, exc):
    """The same inline ``<script>`` twice in a page's head (sphinx-thebe's and sphinx-togglebutton's
    configuration, which reach the page through the theme as well as through script_files): keep
    the first. Runs on the written pages, whatever added the copies."""
    if exc is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        end = text.find("</head>")
        if end < 0:
            continue
        seen = set()

        def keep_first(match):
            tag = match.group(0).strip()
            if tag in seen:
                return ""
            seen.add(tag)
            return match.group(0)

        head = _INLINE_SCRIPT.sub(keep_first, text[:end])
        if len(head) != end:
            path.write_text(head + text[end:], encoding="utf-8")


def setup(app):
    app.add_directive("mirbook-api", MirbookApi)
    # last, after the handlers that add scripts to the page (MathJax, thebe, togglebutton)
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    app.connect("build-finished", _dedupe_inline_scripts_in_html)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""The floor plan of the package (README, *How the code is laid out*; ../shared/DESIGN.md): imports only go down.

Every import of every module is read from its source (at module level, inside functions and under
``TYPE_CHECKING``) and held against the floors:

1. ``vocabulary``, ``errors``, ``atomic`` (the one atomic file writer), ``memory`` (the C library's malloc setting)
2. ``inputs/`` and ``engine/``, side by side and blind to each other
3. ``model/``
4. ``outputs/``
5. ``studies/``: a study uses the floors below, not another study (the sweep composes the others)
6. the faces: ``cli/``, ``app/``, the package's ``__init__`` and ``__main__``, and the deprecated import paths kept
   for one release (``schema``, ``results``, ``paths``)

A face does not reach into ``engine/`` (it asks a study, the model or the outputs); no two modules import each other,
however long the way round; and a module imports another of the package inside a function only in a face, where
start-up needs it, with the reason on the line (or the line above).

The checker is tested on small packages written for the purpose (an upward import, a study importing a study, a face
importing the engine, a circle, a lazy import without a reason), so that a test that passes on the package says
something.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "dfl_finance"

#: The floor of each part of the package (a module belongs to the longest prefix listed).
FLOORS: dict[str, int] = {
    "vocabulary": 1, "errors": 1, "atomic": 1, "memory": 1,
    "inputs": 2, "engine": 2,
    "model": 3,
    "outputs": 4,
    "studies": 5,
    "_moved": 1, "cli": 6, "app": 6, "": 6, "__main__": 6, "schema": 6, "results": 6, "paths": 6,
}
#: Parts of one floor that may not import each other.
BLIND = {frozenset({"inputs", "engine"}), frozenset({"cli", "app"})}
#: The faces: where an import inside a function may stay (start-up), and which do not import the engine.
FACES = ("cli", "app", "", "__main__", "schema", "results", "paths")
#: The study that composes the others.
COMPOSER = "studies.sweep"
#: Late imports below the faces, each with why (module, what it imports late): the start-up goal of issue 21 (a light
#: command loads only what it uses) where the late import sits in the one verb every command calls.
LATE_BELOW_FACES = {
    ("model.load", "model.school_link"): "validate starts without numpy: the school model loads with a scenario "
                                         "that links school tables",
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, relative to the package ("" for its __init__)
    target: str  # imported module, relative to the package
    line: int
    lazy: bool  # inside a function (not at module level, not under TYPE_CHECKING)
    reason: str  # the comment on the line or the line above


def module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, package_dir: Path, package: str, modules: set[str]) -> list[Import]:
    """Every import of a module of the package in the file at ``path`` (``modules``: the package's modules)."""
    name = module_name(path, package_dir)
    is_package = path.name == "__init__.py"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out: list[Import] = []

    def comment(line: int) -> str:
        """The comment on the line, or on the comment line that heads its group of imports."""
        here = lines[line - 1]
        if "#" in here:
            return here.split("#", 1)[1].strip()
        k = line - 2
        while k >= 0:
            above = lines[k].strip()
            if above.startswith("#"):
                return above[1:].strip()
            if not (above.startswith(("from ", "import ", ")")) or above.endswith(",")):
                return ""
            k -= 1
        return ""

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for grand in child.body:
                    visit_one(grand, False)
                for grand in child.orelse:
                    visit_one(grand, lazy)
                continue
            visit_one(child, lazy)

    def visit_one(child: ast.AST, lazy: bool) -> None:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            visit(child, True)
            return
        if isinstance(child, ast.ImportFrom):
            if child.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                absolute = ".".join([p for p in base if p] + ([child.module] if child.module else []))
            elif child.module and (child.module == package or child.module.startswith(package + ".")):
                absolute = child.module[len(package) + 1:] if child.module != package else ""
            else:
                return
            for alias in child.names:
                sub = f"{absolute}.{alias.name}" if absolute else alias.name
                target = sub if sub in modules else absolute
                out.append(Import(name, target, child.lineno, lazy, comment(child.lineno)))
            return
        if isinstance(child, ast.Import):
            for alias in child.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    out.append(Import(name, alias.name[len(package) + 1:], child.lineno, lazy,
                                      comment(child.lineno)))
            return
        visit(child, lazy)

    visit(ast.parse(text), False)
    return out


def part(module: str) -> str:
    """The part of the floor plan a module belongs to (the longest prefix in :data:`FLOORS`)."""
    pieces = module.split(".")
    for k in range(len(pieces), 0, -1):
        if ".".join(pieces[:k]) in FLOORS:
            return ".".join(pieces[:k])
    return ""


def study(module: str) -> str | None:
    """``studies.<name>`` of a module in ``studies/``, else None."""
    pieces = module.split(".")
    return ".".join(pieces[:2]) if pieces[0] == "studies" and len(pieces) > 1 else None


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def violations(package_dir: Path, package: str = PACKAGE) -> list[str]:
    """Every breach of the floor plan in the package at ``package_dir``, one sentence each."""
    out: list[str] = []
    edges: dict[str, set[str]] = {}
    paths = sorted(package_dir.rglob("*.py"))
    modules = {module_name(p, package_dir) for p in paths}  # walked once, not once per file
    for path in paths:
        for imp in imports_of(path, package_dir, package, modules):
            if imp.target == imp.source:
                continue
            edges.setdefault(imp.source, set()).add(imp.target)
            where = f"{package}.{imp.source or '__init__'} line {imp.line} imports {package}.{imp.target or '__init__'}"
            a, b = part(imp.source), part(imp.target)
            if FLOORS[a] < FLOORS[b]:
                out.append(f"{where}: up from floor {FLOORS[a]} ({a or 'the package'}) to floor {FLOORS[b]} "
                           f"({b or 'the package'})")
            elif a != b and frozenset({a, b}) in BLIND:
                out.append(f"{where}: {a} and {b} stand side by side and do not import each other")
            s, t = study(imp.source), study(imp.target)
            if s and t and s != t and s != COMPOSER:
                out.append(f"{where}: a study imports another study (only {COMPOSER} composes them)")
            if a in FACES and b == "engine":
                out.append(f"{where}: a face imports the engine (ask the model, the outputs or a study)")
            if imp.lazy and a not in FACES and (imp.source, imp.target) not in LATE_BELOW_FACES:
                out.append(f"{where} inside a function: import it at the top (only the faces import late, for "
                           "start-up)")
            elif imp.lazy and not imp.reason:
                out.append(f"{where} inside a function without a reason on the line (or the line above)")
    for circle in circles(edges):
        out.append(f"a circle of {len(circle)} modules that import each other: "
                   + ", ".join(f"{package}.{m}" if m else package for m in circle))
    return out


def test_the_package_keeps_its_floor_plan() -> None:
    found = violations(ROOT / PACKAGE)
    assert not found, "\n".join(found)


def test_every_module_has_a_floor() -> None:
    """A new top-level module or folder must be given its floor (here and in the README)."""
    unknown = sorted({module_name(p, ROOT / PACKAGE).split(".")[0] for p in (ROOT / PACKAGE).rglob("*.py")}
                     - set(FLOORS))
    assert not unknown, f"modules without a floor in tests/test_layers.py FLOORS: {unknown}"


# ----- the checker finds each kind of breach (on packages written for the purpose)

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel in ["__init__.py", "vocabulary.py", "errors.py", "inputs/__init__.py", "engine/__init__.py",
                "model/__init__.py", "outputs/__init__.py", "studies/__init__.py", "cli/__init__.py",
                "app/__init__.py", *files]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files.get(rel, ""), encoding="utf-8")
    return root


@pytest.mark.parametrize(("files", "words"), [
    ({"inputs/models.py": "from pkg.outputs.result import Result\n", "outputs/result.py": ""},
     "up from floor 2 (inputs) to floor 4 (outputs)"),
    ({"inputs/models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.studies.risk import x\n",
      "studies/risk.py": ""}, "up from floor 2 (inputs) to floor 5 (studies)"),
    ({"model/compile.py": "def f():\n    from ..outputs import result  # late\n", "outputs/result.py": ""},
     "up from floor 3 (model) to floor 4 (outputs)"),
    ({"inputs/models.py": "from pkg.engine import Floats\n"}, "inputs and engine stand side by side"),
    ({"studies/optimise.py": "from pkg.studies.risk import draws\n", "studies/risk.py": ""},
     "a study imports another study"),
    ({"studies/sweep.py": "from pkg.studies.risk import draws\n", "studies/risk.py": ""}, None),
    ({"cli/run.py": "from pkg.engine.model import simulate\n", "engine/model.py": ""}, "a face imports the engine"),
    ({"model/a.py": "from pkg.model.b import x\n", "model/b.py": "def f():\n    from pkg.model.a import y  # r\n"},
     "a circle of 2 modules that import each other: pkg.model.a, pkg.model.b"),
    ({"model/a.py": "def f():\n    from pkg.inputs import models\n", "inputs/models.py": ""},
     "inside a function: import it at the top"),
    ({"cli/run.py": "def f():\n    from pkg.outputs import result\n", "outputs/result.py": ""},
     "inside a function without a reason"),
    ({"cli/run.py": "def f():\n    # pandas loads only for the commands that write tables\n"
                    "    from pkg.outputs import result\n", "outputs/result.py": ""}, None),
    ({"cli/run.py": "def f():\n    # pandas loads only for the commands that write tables\n"
                    "    from pkg.outputs import result\n    from pkg.outputs import tables\n",
      "outputs/result.py": "", "outputs/tables.py": ""}, None),
    ({"cli/run.py": "def f():\n    x = 1  # a comment of another line\n    from pkg.outputs import result\n",
      "outputs/result.py": ""}, "inside a function without a reason"),
    ({"model/a.py": "from pkg.inputs.models import Scenario\nfrom pkg.engine import Floats\n",
      "inputs/models.py": ""}, None),
])
def test_the_checker_finds_each_breach(tmp_path: Path, files: dict[str, str], words: str | None) -> None:
    found = violations(_package(tmp_path, files), "pkg")
    if words is None:
        assert found == []
    else:
        assert any(words in f for f in found), found


def test_the_checker_fails_on_the_package_with_an_upward_import_added(tmp_path: Path) -> None:
    """The real package, copied, with one import from the inputs up to the outputs: the test above would fail."""
    import shutil

    copy = tmp_path / PACKAGE
    shutil.copytree(ROOT / PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "data", "scenarios"))
    models = copy / "inputs" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + "\nfrom dfl_finance.outputs.result import Result\n",
                      encoding="utf-8")
    found = violations(copy)
    assert any("dfl_finance.inputs.models" in f and "up from floor 2" in f for f in found), found
    assert any(f.startswith("a circle of") for f in found), found

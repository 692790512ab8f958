"""The package's shape: no import cycle and no import from a lower floor to a higher one in ``src/nodebook``.

The graph is built from the source (AST), not by importing: every ``import`` and ``from ... import`` form,
absolute and relative, at module level or inside a function (a lazy import that goes upward is still an
upward dependency), and ``importlib.import_module`` calls whose name is a literal or an f-string (an
f-string's fields match any one name part, so ``f"nodebook.experiments.{ch}.claims"`` depends on every
chapter's ``claims``). Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` too, so those count as
dependencies, except packages that enclose the importing module (they are already being imported).
Not seen, by design: ``nodebook.grading._public.solver_calls`` patches the root's ``odeint`` attribute (what
learners call as ``nb.odeint``) through ``sys.modules``; it uses no code of the root, so it is no import.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
IGNORED: tuple[str, ...] = ()  # modules left out of the graph (none: the book tooling is in book/_tools)

# Floors, lowest first: a module may import from its own floor or a lower one, never a higher one. Every
# top-level module and subpackage of nodebook is listed (a subpackage's modules share its floor; a new one
# fails test_every_module_has_a_floor until it is given one here).
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("base: helpers and data with no nodebook dependency above them",
     ("nodebook._atomic", "nodebook._safe_state", "nodebook._validate", "nodebook._tables", "nodebook.measure",
      "nodebook.seeds", "nodebook.problems", "nodebook._overrides", "nodebook.budgets", "nodebook._claims",
      "nodebook._provenance")),
    ("infrastructure: checkpoints, plotting, mode/device/seed, results files",
     ("nodebook.checkpoint", "nodebook.plotting", "nodebook.config", "nodebook.results", "nodebook._run_clock")),
    ("solvers", ("nodebook.solvers",)),
    ("adjoint", ("nodebook.adjoint", "nodebook._adjoint_settings")),
    ("models, data, flows", ("nodebook.models", "nodebook.data", "nodebook.flows")),
    ("training loop", ("nodebook.train",)),
    ("latent ODEs (their training loop records a train.History)", ("nodebook.latent",)),
    ("exercise checks and grading", ("nodebook.grading", "nodebook.exercises")),
    ("experiments", ("nodebook.experiments",)),
    ("reports, claims' evaluation, CLI, book", ("nodebook.reports", "nodebook.claims", "nodebook.book",
                                                 "nodebook._seeds_cli", "nodebook.__main__")),
    ("the package's face (re-exports)", ("nodebook",)),
]


# ------------------------------------------------------------------------------------------- the graph
def find_modules(src: Path, top: str) -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is_package)}`` for every ``.py`` under ``src/top``."""
    out = {}
    for path in sorted((src / top).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, package)
    return out


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _dynamic_pattern(arg: ast.expr, module: str) -> str | None:
    """A regex for the module name an ``import_module`` call builds (f-string fields: one name part)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return re.escape(arg.value)
    if not isinstance(arg, ast.JoinedStr):
        return None
    out = ""
    for value in arg.values:
        if isinstance(value, ast.Constant):
            out += re.escape(str(value.value))
        elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name) \
                and value.value.id == "__name__":
            out += re.escape(module)
        else:
            out += r"[^.]+"
    return out


def imports_of(name: str, path: Path, package: bool, known: set[str], top: str) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import in ``name``'s source, resolved to modules of ``known``."""
    here = name if package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base_parts = parts[: len(parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in known else base)
        elif isinstance(node, ast.Call):
            fn = node.func
            fname = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if fname in ("import_module", "__import__") and node.args:
                pattern = _dynamic_pattern(node.args[0], name)
                if pattern is not None:
                    targets = [m for m in sorted(known) if re.fullmatch(pattern, m)]
        for target in targets:
            if target != top and not target.startswith(top + "."):
                continue
            while target not in known and "." in target:  # `import a.b.attr`: the module a.b
                target = target.rpartition(".")[0]
            for dep in [*_ancestors(target), target]:
                implied = dep != target
                if dep == name or (implied and (dep == top or name.startswith(dep + "."))):
                    continue
                yield dep, node.lineno


def build_graph(src: Path = SRC, top: str = "nodebook", ignored: tuple[str, ...] = IGNORED
                ) -> dict[str, dict[str, int]]:
    """``{module: {module it imports: first line}}`` for the package ``top`` under ``src``."""
    def skip(m: str) -> bool:
        return any(m == i or m.startswith(i + ".") for i in ignored)

    mods = {m: v for m, v in find_modules(src, top).items() if not skip(m)}
    known = set(find_modules(src, top))
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for m, (path, package) in mods.items():
        for dep, line in imports_of(m, path, package, known, top):
            if not skip(dep):
                graph[m].setdefault(dep, line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[tuple[list[str], set[str]]]:
    """For each strongly connected component of more than one module: one cycle in it (``[a, b, ..., a]``)
    and all its modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    out = []
    for comp in comps:  # a shortest path back to the start, inside the component
        start = min(comp)
        paths = {start: [start]}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w == start:
                        found = [*paths[v], start]
                        break
                    if w in comp and w not in paths:
                        paths[w] = [*paths[v], w]
                        nxt.append(w)
                if found:
                    break
            frontier = nxt
        out.append((found, comp))
    return out


def floor_of(module: str, floors: list[tuple[str, tuple[str, ...]]] = FLOORS) -> int | None:
    """The index of ``module``'s floor: its own entry or its nearest listed package's (the root only by
    name)."""
    table = {m: i for i, (_, mods) in enumerate(floors) for m in mods}
    for candidate in [module, *reversed(_ancestors(module))]:
        if candidate in table and (candidate != "nodebook" or module == "nodebook"):
            return table[candidate]
    return None


def _describe(graph: dict[str, dict[str, int]], path: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(path, path[1:], strict=False)) + f" -> {path[-1]}"


# --------------------------------------------------------------------------------------------- the tests
GRAPH = build_graph()


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The builder itself: relative, function-level and dynamic imports, and a package's __init__, count."""
    pkg = tmp_path / "pk"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import high\n")
    (pkg / "high.py").write_text("from .low import a\n")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from ..high import g\n")
    (pkg / "low" / "b.py").write_text("import importlib\nimportlib.import_module(f'pk.{1}')\n")
    graph = build_graph(tmp_path, "pk", ())
    assert graph["pk.high"] == {"pk.low": 1, "pk.low.a": 1}
    assert graph["pk.low.a"] == {"pk.high": 2}
    assert set(graph["pk.low.b"]) == {"pk.high", "pk.low"}  # f'pk.{1}': any one name part
    assert graph["pk"] == {"pk.high": 1}
    assert cycles(graph) == [(["pk.high", "pk.low.a", "pk.high"], {"pk.high", "pk.low.a"})]
    assert floor_of("pk.low.a", [("low", ("pk.low",)), ("high", ("pk.high",))]) == 0


def test_every_module_has_a_floor():
    missing = sorted(m for m in GRAPH if floor_of(m) is None)
    assert not missing, (f"modules with no floor: {', '.join(missing)}; assign each (or its subpackage) a floor in "
                         "FLOORS of tests/test_imports.py")
    listed = [m for _, mods in FLOORS for m in mods]
    stale = sorted(m for m in listed if m not in GRAPH and not any(g.startswith(m + ".") for g in GRAPH))
    assert not stale, f"FLOORS lists modules that do not exist: {', '.join(stale)}"


def test_no_import_cycle():
    found = cycles(GRAPH)
    assert not found, "import cycles in src/nodebook:\n" + "\n".join(
        f"  {_describe(GRAPH, path)}\n    (the cycle's component: {', '.join(sorted(comp))})" for path, comp in found)


def test_no_import_from_a_lower_floor_to_a_higher_one():
    bad = []
    for module, deps in sorted(GRAPH.items()):
        mine = floor_of(module)
        for dep, line in sorted(deps.items()):
            theirs = floor_of(dep)
            if mine is not None and theirs is not None and theirs > mine:
                bad.append(f"  {module} (floor {FLOORS[mine][0]!r}) imports {dep} (floor {FLOORS[theirs][0]!r}) "
                           f"at line {line}")
    assert not bad, "imports from a lower floor to a higher one:\n" + "\n".join(bad)


def test_no_module_imports_the_package_root():
    """Inside the package, names come from the module that defines them, not from ``nodebook``'s
    re-exports (which import everything)."""
    bad = sorted(f"  {m} (line {deps['nodebook']})" for m, deps in GRAPH.items() if "nodebook" in deps)
    assert not bad, "modules that import the package root `nodebook` (import from the defining module):\n" + \
        "\n".join(bad)

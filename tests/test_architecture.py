"""The package's shape, read from its source with ast: stages, one-way imports, no circles, short modules.

Stages, earliest first (a module imports only from its own stage or an earlier one;
two stages of one rank never import each other; another stage is reached only
through its ``__init__``, which names the stage's entry points):

    shared ground (errors, files, config, cache, audio, version)
    < script < speech < graphics < avatar < render, export < pipeline < jobs < apps
    < anchor/__init__ and anchor/client (the HTTP API's client, which needs none of the stages)

The pipeline (``anchor/pipeline/``: clips, audio programmes, their options) only wires the
stages, so each of its modules is held to a shorter length than a stage's.

Each check also runs on a copy of the package with a violation planted in it, so a
checker that stopped seeing violations would fail here too.
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from anchor.files import PROJECT_DIR

PACKAGE = PROJECT_DIR / "anchor"
RANK = {"shared": 0, "script": 1, "speech": 2, "graphics": 3, "avatar": 4, "render": 5, "export": 5,
        "pipeline": 6, "jobs": 7, "live": 8, "apps": 9, "public": 10}
SHARED = {"errors", "files", "config", "cache", "audio", "version"}
STAGES = {name for name in RANK if name not in ("shared", "pipeline", "public")}
MAX_LINES = 400
MAX_PIPELINE_LINES = 200


@dataclass
class Module:
    name: str  # dotted
    path: Path
    lines: int
    is_package: bool
    imports: list[tuple[str, int]] = field(default_factory=list)  # (imported module, line)
    tree: ast.Module | None = None


def read_package(root: Path) -> dict[str, Module]:
    """Every module under ``root`` (the ``anchor`` folder) with the package modules it imports, lazy ones too."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["anchor", *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        text = path.read_text(encoding="utf-8")
        modules[name] = Module(name, path, len(text.splitlines()), is_package, tree=ast.parse(text))
    for module in modules.values():
        package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                for alias in node.names:  # "from . import face" imports the module anchor.avatar.face
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    module.imports.append((target, node.lineno))
            elif isinstance(node, ast.Import):
                module.imports += [(alias.name, node.lineno) for alias in node.names]
        module.imports = [(t, n) for t, n in module.imports if t == "anchor" or t.startswith("anchor.")]
    return modules


def place_of(name: str) -> str | None:
    """The stage a module belongs to: a stage's name, "shared", "pipeline", "public" (anchor/__init__), or None."""
    parts = name.split(".")
    if len(parts) == 1 or name == "anchor.client":
        return "public"
    if parts[1] in STAGES | {"pipeline"}:
        return parts[1]
    if len(parts) == 2 and parts[1] in SHARED:
        return "shared"
    return None


def violations(root: Path) -> list[str]:
    modules = read_package(root)
    where = lambda m: m.path.relative_to(root.parent)  # noqa: E731
    found = []
    for module in modules.values():
        limit = MAX_PIPELINE_LINES if place_of(module.name) == "pipeline" else MAX_LINES
        if module.lines > limit:
            found.append(f"{where(module)}: {module.lines} lines, over {limit}")
        place = place_of(module.name)
        if place is None:
            found.append(f"{where(module)}: belongs to no stage (put it in a stage's folder, or the shared ground)")
            continue
        for target, line in module.imports:
            to = place_of(target)
            if to is None or to == place:
                continue
            if RANK[to] >= RANK[place]:
                found.append(f"{where(module)}:{line} imports {target}: {place} may import only earlier stages, "
                             f"and {to} is {'a later' if RANK[to] > RANK[place] else 'a parallel'} one")
            elif to in STAGES and target != f"anchor.{to}":
                found.append(f"{where(module)}:{line} imports {target}: another stage is reached only through "
                             f"anchor.{to}'s entry points")
        if module.is_package and place in STAGES and module.name == f"anchor.{place}":
            found += _unfrozen_hand_offs(module, modules, where)
    found += [f"import circle: {' -> '.join(circle)}" for circle in _circles(modules)]
    return found


def _unfrozen_hand_offs(stage: Module, modules: dict[str, Module], where) -> list[str]:
    """Dataclasses a stage hands to others (named in its __init__) that are not frozen."""
    out = []
    for node in stage.tree.body:
        if not isinstance(node, ast.ImportFrom) or node.level != 1 or not node.module:
            continue
        source = modules.get(f"{stage.name}.{node.module}")
        names = {alias.name for alias in node.names}
        for cls in (n for n in (source.tree.body if source else []) if isinstance(n, ast.ClassDef)):
            if cls.name in names and _is_dataclass(cls) and not _is_frozen(cls):
                out.append(f"{where(source)}:{cls.lineno} {cls.name} is handed to other stages by {stage.name} "
                           f"but is not a frozen dataclass")
    return out


def _is_dataclass(cls: ast.ClassDef) -> bool:
    def name(decorator):
        decorator = decorator.func if isinstance(decorator, ast.Call) else decorator
        return decorator.id if isinstance(decorator, ast.Name) else getattr(decorator, "attr", None)

    return any(name(d) == "dataclass" for d in cls.decorator_list)


def _is_frozen(cls: ast.ClassDef) -> bool:
    return any(isinstance(d, ast.Call) and any(k.arg == "frozen" and getattr(k.value, "value", False) is True
                                               for k in d.keywords) for d in cls.decorator_list)


def _circles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected groups of modules that import each other (Tarjan), each as a loop of names."""
    graph = {name: sorted({t for t, _ in m.imports if t in modules and t != name}) for name, m in modules.items()}
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return [group + [group[0]] for group in groups]


# --------------------------------------------------------------------------- the package itself


def test_the_package_keeps_its_architecture():
    assert violations(PACKAGE) == []


def test_every_stage_names_its_entry_points():
    for stage in sorted(STAGES):
        init = PACKAGE / stage / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init} says what the stage does"
        if stage != "apps":  # the top: nothing imports it but the console script
            assert any(isinstance(n, ast.Assign) and n.targets[0].id == "__all__" for n in tree.body), init


# --------------------------------------------------------------------------- planted violations


@pytest.fixture
def copy(tmp_path) -> Path:
    root = tmp_path / "anchor"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__", "*.yaml"))
    assert violations(root) == []
    return root


def _add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_an_import_of_a_later_stage_is_caught(copy):
    _add_line(copy / "speech" / "voices.py", "from ..apps import cli  # noqa")
    assert any("speech/voices.py" in v and "imports anchor.apps.cli" in v and "later" in v for v in violations(copy))


def test_a_lazy_import_of_a_later_stage_is_caught(copy):
    _add_line(copy / "graphics" / "layout.py", "def late():\n    from .. import pipeline\n    return pipeline")
    assert any("graphics/layout.py" in v and "anchor.pipeline" in v for v in violations(copy))


def test_an_import_between_parallel_stages_is_caught(copy):
    _add_line(copy / "render" / "compose.py", "from ..export import ClipWriter  # noqa")
    assert any("render/compose.py" in v and "parallel" in v for v in violations(copy))


def test_reaching_into_another_stages_module_is_caught(copy):
    _add_line(copy / "graphics" / "layout.py", "from ..speech.timeline import Timeline  # noqa")
    assert any("anchor.speech's entry points" in v for v in violations(copy))


def test_an_import_circle_inside_a_stage_is_caught(copy):
    _add_line(copy / "speech" / "timeline.py", "def later():\n    from .visemes import build_visemes\n    return 1")
    found = violations(copy)
    assert any(v.startswith("import circle") and "anchor.speech.timeline" in v and "anchor.speech.visemes" in v
               for v in found), found


def test_a_long_module_is_caught(copy):
    (copy / "graphics" / "long.py").write_text('"""Too long."""\n' + "x = 1\n" * MAX_LINES, encoding="utf-8")
    assert any("graphics/long.py" in v and f"{MAX_LINES + 1} lines" in v for v in violations(copy))


def test_a_long_pipeline_is_caught(copy):
    path = copy / "pipeline" / "clip.py"
    lines = path.read_text(encoding="utf-8").count("\n")
    _add_line(path, "\n" * (MAX_PIPELINE_LINES - lines))
    assert any(v.startswith("anchor/pipeline/clip.py") and f"over {MAX_PIPELINE_LINES}" in v for v in violations(copy))


def test_a_module_outside_the_stages_is_caught(copy):
    (copy / "helpers.py").write_text('"""Somewhere."""\n', encoding="utf-8")
    assert any("anchor/helpers.py: belongs to no stage" in v for v in violations(copy))


def test_an_unfrozen_hand_off_is_caught(copy):
    path = copy / "speech" / "timeline.py"
    text = path.read_text(encoding="utf-8")
    assert "@dataclass(frozen=True)\nclass Timeline" in text
    path.write_text(text.replace("@dataclass(frozen=True)\nclass Timeline", "@dataclass\nclass Timeline"),
                    encoding="utf-8")
    assert any("Timeline is handed to other stages" in v for v in violations(copy))

"""The layers hold: flows compose stages, stages are plain functions, the warehouse owns storage.

Checked on the source itself: the import graph (no upward edge, no cycle),
where SQL may appear, and that the tables' columns are declared once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks import neardup, store
from tasks.models import Article, Event, ExtractedArticle, Rejection
from tasks.records import FeedUpdate, FetchRecord
from warehouse import schema
from warehouse.db import connect

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("flows", "tasks", "warehouse")
# A package may import only packages to its right: flows -> tasks -> warehouse.
LAYER = {"flows": 0, "tasks": 1, "warehouse": 2}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(path: Path) -> Iterator[str]:
    """The project modules a file imports (anywhere in it, but for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield sub if sub in MODULES else node.module


def _graph() -> dict[str, set[str]]:
    return {name: set(_imports(path)) - {name} for name, path in MODULES.items()}


def test_no_package_imports_a_layer_above_it() -> None:
    upward = [
        f"{mod} imports {target}"
        for mod, targets in _graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] < LAYER[mod.split(".")[0]]
    ]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_the_models_import_nothing_from_the_coder_or_the_warehouse() -> None:
    assert _graph()["tasks.models"] == set()


def test_the_fetch_stage_never_opens_the_warehouse() -> None:
    fetch = {
        m: t for m, t in _graph().items() if m == "tasks.fetch" or m.startswith("tasks.fetch.")
    }
    assert {
        m: sorted(t) for m, t in fetch.items() if any(x.startswith("warehouse") for x in t)
    } == {}


# A string that reads or writes a table: a statement keyword, then the clause that names it.
_SQL = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|VIEW|INDEX)|DROP\s+(TABLE|VIEW)|ALTER\s+TABLE|COPY\s*\()\b"
)


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            yield node.lineno, str(text)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, str(node.value)


def test_no_sql_outside_the_warehouse() -> None:
    """Flows and stages hold no SQL: `eventpipe query` passes the analyst's text through."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}"
        for name, path in MODULES.items()
        if not name.startswith("warehouse")
        for line, text in _string_literals(path)
        if _SQL.search(text)
    ]
    assert found == []


def test_the_sql_check_sees_sql() -> None:
    assert _SQL.search("SELECT a FROM b") and _SQL.search("INSERT INTO runs BY NAME")
    assert not _SQL.search("Read-only SQL (SELECT, EXPLAIN, PRAGMA).")


_DUCKDB_TYPES = {
    "string": {"VARCHAR", "JSON"},
    "timestamp[us, tz=UTC]": {"TIMESTAMP WITH TIME ZONE"},
    "int32": {"INTEGER"},
    "int64": {"BIGINT"},
    "double": {"DOUBLE"},
    "date32[day]": {"DATE"},
    "bool": {"BOOLEAN"},
    "list<item: uint32>": {"UINTEGER[]"},
}

# Every table declared in warehouse/schema.py, whoever fills it.
DECLARED = {**schema.TABLES, **schema.LINK_TABLES, **schema.NEAR_DUPLICATE_TABLES}


@pytest.mark.parametrize("table", sorted(DECLARED))
def test_each_declared_schema_matches_the_migrated_table(table: str, tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        described = con.execute(f"DESCRIBE {table}").fetchall()
    columns = {row[0]: row[1] for row in described}
    declared = DECLARED[table]
    assert set(columns) == set(declared.names)
    wrong = {
        f.name: (str(f.type), columns[f.name])
        for f in declared
        if columns[f.name] not in _DUCKDB_TYPES[str(f.type)]
    }
    assert wrong == {}


def test_the_row_builders_fill_exactly_the_declared_columns() -> None:
    article = Article("file", "a.txt", "Gunmen killed five villagers in Mopti on Monday.")
    item = ExtractedArticle(article, [Event("ASSAULT", evidence={"trigger": "killed"})], "v1")
    now = datetime.now(UTC)
    signature = neardup.signature(article.text)
    rows = {
        "articles": store.article_row(article),
        "events": store.event_row(item.events[0], item),
        "codings": store.coding_row(item),
        "rejections": store.rejection_row(Rejection("b.txt", "empty")),
        "fetch_log": store.fetch_log_row(FetchRecord("page", "https://a.example/", "timeout")),
        "feeds": store.feed_row(FeedUpdate("https://a.example/f", None, "fetched", 200, now)),
        "settled_inputs": store.settled_row("a.txt", "0" * 64, "stored", article.article_id),
        "article_minhash": store.minhash_row(article, signature),
        "article_bands": store.band_rows(article, signature)[0],
    }
    assert set(rows) == set(schema.TABLES)
    assert {t: set(r) for t, r in rows.items()} == {t: schema.row_columns(t) for t in rows}

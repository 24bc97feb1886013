"""The layout holds: packages named for what they do, no import circles, a pure core, one way to
open a store session, tweepy behind one module (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
SHELL = ("bot.x", "bot.store", "bot.daemon", "bot.polling", "bot.posting", "bot.demo", "bot.cli")
SHELL += ("bot.sandbox", "bot.report", "bot.config", "bot.app", "bot.settings", "bot.logs")
SHELL += ("bot.freezer", "bot.clock")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(BOT.parent).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (TYPE_CHECKING and function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


MODULES = {module_name(p): p for p in BOT.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps = {d for d in imports(path) if d in MODULES and d != name}
        out[name] = deps
    return out


def test_the_top_of_bot_holds_at_most_six_modules() -> None:
    top = sorted(p.name for p in BOT.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= 6, top


def test_no_import_circles() -> None:
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
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
                circles.append(sorted(component))

    for v in g:
        if v not in index:
            visit(v)
    assert circles == []


def test_the_core_imports_nothing_of_the_shell_nor_its_libraries() -> None:
    for name, path in MODULES.items():
        if not name.startswith("bot.core"):
            continue
        bad = {
            d
            for d in imports(path)
            if d.startswith(SHELL)
            or d.split(".")[0] in ("sqlalchemy", "tweepy", "requests", "loguru")
        }
        assert not bad, f"{name} imports {sorted(bad)}"


def test_only_the_store_opens_sessions_and_only_the_x_client_imports_tweepy() -> None:
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if "sessionmaker(" in text:
            assert name == "bot.store", f"{name} builds its own sessionmaker: use store.session()"
        if any(d.split(".")[0] == "tweepy" for d in imports(path)):
            assert name == "bot.x.tweepy_client", f"{name} imports tweepy"


def test_x_search_syntax_lives_in_the_x_package_only() -> None:
    for name, path in MODULES.items():
        if not name.startswith("bot.core"):
            continue
        strings = [
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        for operator in ("is:reply", "is:retweet", "conversation_id:", "-is:"):
            written = [text for text in strings if operator in text]
            assert not written, f"{name} writes X's search operator {operator}: {written[:1]}"


# Where the core still names an X thing on purpose: twitter-text's own function names (the length
# rule is X's), and the X price table's "user read" resource.
X_NAMES_ALLOWED = {
    "bot.core.textlength": {"parse_tweet", "is_valid_tweet"},
    "bot.core.cost": {"user_read"},
    "bot.core.budget": {"user_read", "user_reads"},
}


def test_the_core_speaks_of_posts_and_accounts_not_tweets_and_users() -> None:
    for name, path in MODULES.items():
        if not name.startswith("bot.core"):
            continue
        named: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                named.add(node.id)
            elif isinstance(node, ast.Attribute):
                named.add(node.attr)
            elif isinstance(node, ast.arg):
                named.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                named.add(node.name)
            elif isinstance(node, ast.keyword) and node.arg:
                named.add(node.arg)
        x_words = {
            n
            for n in named
            if ("tweet" in n.lower() or n.lower().split("_")[0] in ("user", "users"))
            and n not in X_NAMES_ALLOWED.get(name, set())
        }
        assert not x_words, f"{name} names X's things {sorted(x_words)}: say post or account"

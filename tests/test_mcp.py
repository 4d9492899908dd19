"""``vaultlink mcp``: the tools answer as the CLI and a sync would, read-only unless allowed,
notes saved between calls are seen, bad notes are tool errors naming candidates; and the whole
server works over stdio with the SDK's own client."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import SMALL_VAULT, VaultFactory, prose, run, snapshot
from vaultlink import app
from vaultlink.core.blocks import end_marker, start_marker
from vaultlink.mcp_server import make_server

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def ask(server_or_params: Any, steps: Callable[[Client], Awaitable[Any]]) -> Any:
    """Run ``steps`` against a connected client and return what they return."""

    async def main() -> Any:
        async with Client(server_or_params) as client:
            return await steps(client)

    return anyio.run(main)


def call(vault: Path, tool: str, arguments: dict[str, Any], *, allow_write: bool = False) -> Any:
    """One tool call on a fresh in-process server: the result (``is_error``, content, structured)."""
    return ask(make_server(vault, allow_write=allow_write), lambda c: c.call_tool(tool, arguments))


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault(SMALL_VAULT)


def related_block(path: Path) -> list[str]:
    """The note paths a written Related block lists, in order."""
    text = path.read_text(encoding="utf-8")
    start = text.index(start_marker("related"))
    block = text[start : text.index(end_marker("related"), start)]
    return [line.split("[[", 1)[1].split("]]", 1)[0].split("|", 1)[0] for line in block.splitlines() if "[[" in line]


def test_read_only_server_offers_no_sync_and_writes_nothing(vault: Path) -> None:
    before = snapshot(vault)
    names = ask(make_server(vault), lambda c: c.list_tools())
    assert sorted(t.name for t in names.tools) == [
        "backlinks",
        "check",
        "find_note",
        "links",
        "neighbourhood",
        "related",
    ]
    for tool, args in [("related", {"note": "Alpha"}), ("check", {}), ("neighbourhood", {"note": "Alpha"})]:
        assert not call(vault, tool, args).is_error
    assert snapshot(vault) == before
    assert not (vault / ".vaultlink").exists()


def test_related_lists_what_a_sync_writes(vault: Path) -> None:
    result = call(vault, "related", {"note": "Alpha", "top": 5})
    assert not result.is_error
    answer = result.structured_content
    assert answer["note"] == "Alpha.md"
    assert answer["related"], "Alpha shares two phrases with Gamma"
    assert all(entry["reasons"] and entry["score"] > 0 for entry in answer["related"])
    app.sync(vault, cache=app.NO_CACHE)
    written = related_block(vault / "Alpha.md")
    listed = [e["path"].removesuffix(".md") for e in answer["related"]]
    assert len(listed) == len(written)
    assert all(path.endswith(name) for path, name in zip(listed, written, strict=True))


def test_a_note_saved_between_calls_is_seen(vault: Path) -> None:
    server = make_server(vault)

    async def steps(client: Client) -> tuple[Any, Any]:
        first = await client.call_tool("related", {"note": "Alpha"})
        (vault / "Theta.md").write_text("# Theta\n\n" + prose("sourdough starter", "rye flour"), encoding="utf-8")
        second = await client.call_tool("related", {"note": "Alpha"})
        return first, second

    first, second = ask(server, steps)
    assert "Theta.md" not in [e["path"] for e in first.structured_content["related"]]
    assert "Theta.md" in [e["path"] for e in second.structured_content["related"]]


def test_unknown_and_ambiguous_notes_are_tool_errors_naming_candidates(vault: Path) -> None:
    unknown = call(vault, "backlinks", {"note": "Omega"})
    assert unknown.is_error
    assert "no note named 'Omega'" in unknown.content[0].text
    (vault / "a").mkdir()
    (vault / "b").mkdir()
    (vault / "a" / "Twin.md").write_text("# Twin\n", encoding="utf-8")
    (vault / "b" / "Twin.md").write_text("# Twin\n", encoding="utf-8")
    ambiguous = call(vault, "links", {"note": "Twin"})
    assert ambiguous.is_error
    assert "a/Twin.md" in ambiguous.content[0].text and "b/Twin.md" in ambiguous.content[0].text


def test_links_backlinks_and_find_note(vault: Path) -> None:
    backlinks = call(vault, "backlinks", {"note": "Beta"}).structured_content
    assert backlinks == {"note": "Beta.md", "backlinks": [{"path": "Alpha.md", "count": 1, "kinds": ["wikilink"]}]}
    links = call(vault, "links", {"note": "sub/Epsilon.md"}).structured_content["links"]
    assert links == [{"link": "[[Ghost]]", "kind": "wikilink", "outcome": "missing", "target": "Ghost.md"}]
    found = call(vault, "find_note", {"query": "filler"}).structured_content["notes"]
    assert [n["path"] for n in found] == [f"Filler {i}.md" for i in range(5)]
    exact = call(vault, "find_note", {"query": "eta"}).structured_content["notes"]
    assert exact[0]["path"] == "Eta.md", "an exact title comes before titles that only contain it (Beta, Zeta)"


def test_check_reports_problems_of_the_vault_or_one_note(vault: Path) -> None:
    whole = call(vault, "check", {}).structured_content
    assert whole["notes"] == len(SMALL_VAULT)
    assert [(p["path"], p["code"]) for p in whole["problems"]] == [("sub/Epsilon.md", "broken-link")]
    assert call(vault, "check", {"note": "Alpha"}).structured_content["problems"] == []
    assert call(vault, "check", {"note": "Epsilon"}).structured_content["problems"] == whole["problems"]


def test_neighbourhood_is_the_graph_around_the_note(vault: Path) -> None:
    near = call(vault, "neighbourhood", {"note": "Alpha", "depth": 1}).structured_content
    ids = {n["id"] for n in near["nodes"]}
    assert "note:Alpha.md" in ids and "note:Beta.md" in ids
    assert any(e["source"] == "note:Alpha.md" and e["target"] == "note:Beta.md" for e in near["edges"])
    assert all(n["distance"] <= 1 for n in near["nodes"])
    farther = call(vault, "neighbourhood", {"note": "Alpha", "depth": 2}).structured_content
    assert ids <= {n["id"] for n in farther["nodes"]}
    bad = call(vault, "neighbourhood", {"note": "Alpha", "depth": 9})
    assert bad.is_error and "depth" in bad.content[0].text


def test_sync_tool_is_a_dry_run_unless_asked(vault: Path, make_vault: VaultFactory, tmp_path: Path) -> None:
    before = snapshot(vault)
    dry = call(vault, "sync", {}, allow_write=True)
    assert not dry.is_error and dry.structured_content["dry_run"] is True
    assert "Alpha.md" in dry.structured_content["diff"]
    assert snapshot(vault) == before
    done = call(vault, "sync", {"dry_run": False}, allow_write=True)
    assert not done.is_error and done.structured_content["changed"]
    twin = tmp_path / "twin"
    twin.mkdir()
    for rel, text in SMALL_VAULT.items():
        (twin / rel).parent.mkdir(parents=True, exist_ok=True)
        (twin / rel).write_text(text, encoding="utf-8")
    app.sync(twin, cache=app.NO_CACHE)
    assert snapshot(vault) == snapshot(twin), "the tool writes what 'vaultlink sync' writes"


def test_the_sync_tool_keeps_the_cache_where_it_was_told(vault: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cache"
    server = make_server(vault, allow_write=True, cache=app.CacheOptions(folder=elsewhere))
    done = ask(server, lambda c: c.call_tool("sync", {"dry_run": False}))
    assert not done.is_error
    assert set(done.structured_content) == {"dry_run", "scanned", "changed", "created", "deleted", "skipped", "held"}
    assert (elsewhere / "cache.sqlite").is_file()
    assert not (vault / ".vaultlink" / "cache.sqlite").exists()


def test_cli_without_the_mcp_extra_says_how_to_get_it(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vaultlink.mcp_server", None)
    result = run("mcp", str(vault))
    assert result.exit_code == 2
    assert "pip install 'vaultlink[mcp]'" in result.stderr


def test_cli_refuses_a_folder_that_is_no_vault(tmp_path: Path) -> None:
    result = run("mcp", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_over_stdio_with_the_sdk_client(vault: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "vaultlink", "mcp", str(vault)])

    async def steps(client: Client) -> tuple[Any, Any, Any]:
        tools = await client.list_tools()
        related = await client.call_tool("related", {"note": "Gamma"})
        missing = await client.call_tool("related", {"note": "Nobody"})
        return tools, related, missing

    tools, related, missing = ask(params, steps)
    assert "related" in {t.name for t in tools.tools} and "sync" not in {t.name for t in tools.tools}
    assert "Alpha.md" in [e["path"] for e in related.structured_content["related"]]
    assert missing.is_error and "Nobody" in missing.content[0].text

"""Security: links and settings can't make vaultlink read or write outside the vault; GraphML and JSON
output escape everything they embed; nothing in a note is executed or fetched.

Where vaultlink reads and writes is observed with an audit hook (``faultkit.recording``): every ``open``,
rename, link, unlink, mkdir, chmod and directory listing, and every attempt to start a process, open a
socket, fetch a URL or run code compiled at run time.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import VaultFactory, examples
from faultkit import Recorder, recording, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app, writer
from vaultlink.cli import cli
from vaultlink.errors import VaultlinkError
from vaultlink.export import xml_ids, xml_safe

SECRET = b"# Secret\n\nAbout the sourdough starter. [[Leak from outside]]\n"
PWNED = "vaultlink-pwned"


def hostile_notes(outside: Path) -> dict[str, str | bytes]:
    """Notes whose links, HTML and frontmatter try to reach ``outside`` (holding secret.md), the network,
    or code execution."""
    abs_secret = outside / "secret.md"
    return {
        "Links.md": (
            "# Links\n\nAbout the sourdough starter.\n"
            "[[../outside/secret]] [[../../outside/secret]] [[/etc/passwd]] [[~/.ssh/id_rsa]]\n"
            f"[[{abs_secret}]] [[{abs_secret.with_suffix('')}]] ![[../outside/secret]]\n"
            f"[a](../outside/secret.md) [b]({abs_secret}) [c](file://{abs_secret}) [d](%2e%2e/outside/secret.md)\n"
            "[e](<../outside/secret.md>) [f](sub/../../outside/secret.md)\n"
            "~/vault/../outside/secret.md and ~/vault/../outside/new-stub.md (or create if missing)\n"
            "[[../outside/new stub]] [[../outside/secret#heading]]\n"
        ),
        "Web.md": (
            "# Web\n\n![remote](http://127.0.0.1:9/x.png) [site](https://example.invalid/page.md)\n"
            '<img src="http://127.0.0.1:9/pixel.gif"> <iframe src="http://127.0.0.1:9/"></iframe>\n'
            "<script>fetch('http://127.0.0.1:9/')</script> <link rel=stylesheet href=//127.0.0.1:9/s.css>\n"
            "![[http://127.0.0.1:9/embed.md]] [[https://example.invalid/x]]\n"
            "About the sourdough starter.\n"
        ),
        "Yaml.md": (
            f"---\ntitle: !!python/object/apply:os.system ['touch {PWNED}']\n"
            f"tags: !!python/object/apply:subprocess.check_output [['touch', '{PWNED}']]\n---\n"
            "About the sourdough starter.\n"
        ),
        "Yaml2.md": f"---\n!!python/name:os.system : x\naliases: [!!python/module:os]\n---\ntouch {PWNED}\n",
        "Toml.md": f'+++\ntitle = "$(touch {PWNED})"\ntags = ["`touch {PWNED}`"]\n+++\nAbout the sourdough starter.\n',
        "Json.md": '{\n"title": "__import__(\'os\').system(\'touch ' + PWNED + '\')"\n}\nBody.\n',
        "Code.md": f"```python\nimport os; os.system('touch {PWNED}')\n```\n\n`{{{{ touch {PWNED} }}}}` ${{touch}}\n",
    }


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_bytes(SECRET)
    return folder


def run_everything(root: Path, out: Path) -> None:
    """Every use case: sync, a second sync, check, related, graph, clean."""
    app.sync(root)
    app.sync(root)
    app.check_vault(root)
    app.related_notes(root, None, top=5)
    app.export_graph(root, out)
    app.clean(root)


def assert_contained(rec: Recorder, root: Path, *outputs: Path) -> None:
    """No forbidden event; reads inside the vault; writes inside the vault, or to an output file asked for
    (and its temp file beside it)."""
    assert rec.forbidden == []
    written = [Path(p) for p in rec.writes_outside(root)]
    assert [p for p in written if not any(_is_output(p, out) for out in outputs)] == []
    # The output's folder is opened to fsync it after the output's rename.
    assert [p for p in rec.reads_outside(root) if Path(p) not in {out.parent for out in outputs}] == []


def _is_output(path: Path, out: Path) -> bool:
    return path == out or (path.parent == out.parent and path.name.startswith(writer.TEMP_PREFIX))


CONFIGS: dict[str, dict[str, str]] = {
    "defaults": {},
    "new notes in ../outside": {
        ".obsidian/app.json": json.dumps({"newFileLocation": "folder", "newFileFolderPath": "../outside"})
    },
    "new notes in an absolute folder": {
        ".obsidian/app.json": json.dumps({"newFileLocation": "folder", "newFileFolderPath": "{outside}"})
    },
    "markdown links, notes beside their source": {
        ".obsidian/app.json": json.dumps({"useMarkdownLinks": True, "newFileLocation": "current"})
    },
    "path prefixes and globs that point out": {
        ".vaultlink.toml": 'path_prefixes = ["..", "/", "~", "../outside", "{outside}"]\n'
        'ignore = ["../**", "/etc/**", "{outside}/**"]\nstub_links = ["wikilink", "path", "markdown", "embed"]\n',
    },
    "ignore filters that point out": {
        ".obsidian/app.json": json.dumps({"userIgnoreFilters": ["../outside", "/../", "{outside}"]})
    },
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_links_and_settings_never_reach_outside_the_vault(
    make_vault: VaultFactory, tmp_path: Path, outside: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_files = {rel: text.replace("{outside}", str(outside)) for rel, text in CONFIGS[name].items()}
    root = make_vault({**hostile_notes(outside), **settings_files})
    (root / "sub").mkdir()
    monkeypatch.chdir(tmp_path)  # a relative write would land here, beside the vault
    out = tmp_path / "graph.graphml"
    beside = sorted(p.name for p in tmp_path.iterdir())
    run_everything(root, out)  # warm up: lazily compiled library code is not note content
    out.unlink()
    with recording() as rec:
        run_everything(root, out)
    assert_contained(rec, root, out)
    assert snapshot(outside) == {"secret.md": SECRET}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*beside, "graph.graphml"])
    assert not list(tmp_path.rglob(f"*{PWNED}*"))
    assert not Path(PWNED).exists()
    assert "outside" not in {n.split(":", 1)[-1].split("/")[0] for n in nx.read_graphml(out).nodes}


def test_cli_commands_never_execute_or_fetch(make_vault: VaultFactory, tmp_path: Path, outside: Path) -> None:
    root = make_vault(hostile_notes(outside))
    runner = CliRunner()
    commands = [
        ["sync", str(root), "--dry-run"],
        ["sync", str(root)],
        ["check", str(root), "--json"],
        ["related", str(root), "--all", "--json"],
        ["graph", str(root), "-o", str(tmp_path / "g.graphml")],
        ["clean", str(root)],
    ]
    for args in commands:
        runner.invoke(cli, args)  # warm up
    with recording() as rec:
        results = [runner.invoke(cli, args) for args in commands]
    assert [r.exit_code for r in results] == [0, 0, 1, 0, 0, 0], [r.output for r in results]
    assert_contained(rec, root, tmp_path / "g.graphml")
    assert snapshot(outside) == {"secret.md": SECRET}


def test_hard_link_to_a_file_outside_the_vault_is_not_written_through(
    make_vault: VaultFactory, outside: Path
) -> None:
    """os.replace gives the note a new inode: the outside name keeps the old bytes."""
    root = make_vault({"A.md": "See [[Linked]].\n", "C.md": "c\n", "D.md": "d\n"})
    os.link(outside / "secret.md", root / "Linked.md")
    report = app.sync(root)
    assert "Linked.md" in report.changed
    assert (outside / "secret.md").read_bytes() == SECRET
    app.clean(root)
    assert (root / "Linked.md").read_bytes() == SECRET


def test_state_folder_that_is_a_symlink_out_of_the_vault_is_not_written_through(
    make_vault: VaultFactory, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = make_vault({"A.md": "[[B]]\n", "B.md": "# B\n"})
    (root / ".vaultlink").symlink_to(elsewhere, target_is_directory=True)
    with recording() as rec, contextlib.suppress(VaultlinkError):  # refusing to run is fine
        app.sync(root)
    assert [p for p in rec.writes if os.path.realpath(p).startswith(str(elsewhere))] == []


@pytest.fixture
def state_linked_out(make_vault: VaultFactory, tmp_path: Path) -> tuple[Path, Path]:
    """A vault whose ``.vaultlink`` is a symlink to a folder outside it that holds a cache of the vault."""
    elsewhere = tmp_path / "elsewhere"
    root = make_vault({"A.md": "[[B]] [[Ghost]]\n", "B.md": "# B\n"})
    app.scan_vault(root, app.CacheOptions(folder=elsewhere))
    assert (elsewhere / "cache.sqlite").is_file()
    (root / ".vaultlink").symlink_to(elsewhere, target_is_directory=True)
    return root, elsewhere


@pytest.mark.parametrize("command", ["sync", "clean", "watch"])
def test_writing_commands_refuse_a_state_folder_linked_out_of_the_vault(
    state_linked_out: tuple[Path, Path], command: str
) -> None:
    root, elsewhere = state_linked_out
    before, outside_before = snapshot(root), snapshot(elsewhere)
    result = CliRunner().invoke(cli, [command, str(root)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {root / '.vaultlink'}: is a symbolic link to {elsewhere}, outside the vault, and vaultlink "
        "writes nothing outside the vault; remove the link (--cache-dir keeps the cache elsewhere)"
    ]
    assert snapshot(root) == before
    assert snapshot(elsewhere) == outside_before


@pytest.mark.parametrize("args", [["check"], ["sync", "--dry-run"], ["graph", "-o", "-"]])
def test_reading_commands_skip_a_cache_linked_out_of_the_vault_with_one_warning(
    state_linked_out: tuple[Path, Path], args: list[str]
) -> None:
    """They write nothing anyway: the vault is read without the cache, and the user is told why."""
    root, elsewhere = state_linked_out
    args = [str(elsewhere.parent / "g.graphml") if arg == "-" else arg for arg in args]
    with recording() as rec:
        result = CliRunner().invoke(cli, [args[0], str(root), *args[1:]])
    assert result.exit_code in (0, 1), result.output
    warning = (
        f"warning: {root / '.vaultlink'}: cache: is a symbolic link to {elsewhere}, outside the vault, and "
        "vaultlink writes nothing outside the vault; remove the link (--cache-dir keeps the cache elsewhere); "
        "running without a cache"
    )
    assert result.stderr.splitlines() == [warning]
    assert [p for p in rec.reads + rec.writes if os.path.realpath(p).startswith(str(elsewhere))] == []


def test_related_skips_a_cache_linked_out_of_the_vault(state_linked_out: tuple[Path, Path]) -> None:
    root, elsewhere = state_linked_out
    with recording() as rec:
        ranked = app.related_notes(root, None, top=5)
    assert set(ranked) == {"A.md", "B.md"}
    assert [p for p in rec.reads + rec.writes if os.path.realpath(p).startswith(str(elsewhere))] == []


def test_cache_dir_given_by_the_user_is_used_even_outside_the_vault(state_linked_out: tuple[Path, Path]) -> None:
    root, elsewhere = state_linked_out
    with recording() as rec:
        result = CliRunner().invoke(cli, ["check", str(root), "--cache-dir", str(elsewhere)])
    assert result.exit_code == 1, result.output
    assert result.stderr == ""
    assert str(elsewhere / "cache.sqlite") in [os.path.realpath(p) for p in rec.reads]


@pytest.mark.parametrize("name", ["cache.sqlite", "cache.sqlite-journal", ".gitignore", "lock"])
@pytest.mark.parametrize("leads_to", ["outside", "a note"])
def test_a_symlink_in_the_state_folder_is_never_written_through(
    make_vault: VaultFactory, tmp_path: Path, name: str, leads_to: str
) -> None:
    """``.vaultlink/<file>`` as a symbolic link, to a file outside the vault or to a note of it:
    writing commands refuse (exit 2, one line naming it), reading ones run without the cache and
    say why; the file it leads to is neither written nor read."""
    root = make_vault({"A.md": "[[B]] [[Ghost]]\n", "B.md": "# B\n"})
    app.sync(root)  # a cache, a .gitignore and a lock file exist, as after any sync
    target = tmp_path / "elsewhere" / "file" if leads_to == "outside" else root / "B.md"
    target.parent.mkdir(exist_ok=True)
    if leads_to == "outside":
        target.write_bytes(b"not vaultlink's\n")
    (root / ".vaultlink" / name).unlink(missing_ok=True)
    (root / ".vaultlink" / name).symlink_to(target)
    (root / "A.md").write_text("[[B]] [[Ghost]] and more\n", encoding="utf-8")
    before, target_before = snapshot(root), target.read_bytes()
    problem = (
        f"{root / '.vaultlink'}: {name} in it is a symbolic link to {target}, and vaultlink writes through no "
        "link in its own folder; remove the link"
    )
    result = CliRunner().invoke(cli, ["sync", str(root)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"Error: {problem}"]
    assert snapshot(root) == before and target.read_bytes() == target_before
    with recording() as rec:
        result = CliRunner().invoke(cli, ["check", str(root)])
    assert result.exit_code == 1, result.output  # A.md changed: its blocks are out of date
    assert result.stderr.splitlines() == [f"warning: {problem.replace(': ', ': cache: ', 1)}; running without a cache"]
    assert not [p for p in rec.reads + rec.writes if os.path.realpath(p) == str(target) and leads_to == "outside"]
    assert target.read_bytes() == target_before


def test_state_folder_linked_to_a_folder_inside_the_vault_is_used(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "[[B]]\n", "B.md": "# B\n", ".state/keep": ""})
    (root / ".vaultlink").symlink_to(root / ".state", target_is_directory=True)
    report = app.sync(root)
    assert report.warnings == [] and report.changed
    assert (root / ".state" / "cache.sqlite").is_file()


# --- the output formats ------------------------------------------------------------------------------------

# File names that are legal on Linux and hostile to naive XML, JSON or terminal output.
HOSTILE_NAMES = [
    'quote " and apostrophe \'',
    "back\\slash",
    "new\nline",
    "tab\there",
    "</script><script>alert(1)</script>",
    '"><node id="injected"/><data key="x">',
    "]]><![CDATA[x",
    "&amp; &lt; &#0; &#x1;",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    "\u2028line sep\u2029",
    "emoji 🚀 and \U0001f9ea",
    "bidi \u202eevil\u202c",
    "nul-ish \x01\x02\x1f",
    "esc \x1b[31mred\x1b[0m",
]


@pytest.fixture
def hostile_vault(make_vault: VaultFactory) -> Path:
    about = "About the sourdough starter and the bulk fermentation, the sourdough starter again.\n"
    notes: dict[str, str | bytes] = {f"{name}.md": about + "[[Ghost & <friends>]]\n" for name in HOSTILE_NAMES}
    hub = "".join(f"[[{name}]] " for name in HOSTILE_NAMES if "\n" not in name) + "\n"
    notes["hub.md"] = (
        hub + '[[quote " <b>missing</b> &amp;]] [nl](new%0Aline.md) [esc](esc%20%1B%5B31mred%1B%5B0m.md)\n'
    )
    notes["fm.md"] = '---\ntitle: "T\\u0000\\u0007<x>&\\"]]>"\ntags: ["<t>", "&", "\\u0001"]\n---\n' + about
    return make_vault(notes)


def _note_paths(root: Path) -> set[str]:
    return {rel for rel in snapshot(root) if rel.endswith(".md")}


NEWLINE_NOTE = "new\nline.md"
ESCAPE_NOTE = "esc \x1b[31mred\x1b[0m.md"


@pytest.mark.parametrize(
    "args",
    [["sync", "--json"], ["clean", "--json"], ["check", "--json"], ["related", "--all", "--json"]],
    ids=["sync", "clean", "check", "related"],
)
def test_json_output_is_one_document_and_every_path_round_trips(hostile_vault: Path, args: list[str]) -> None:
    if args[0] == "clean":
        app.sync(hostile_vault)
    result = CliRunner().invoke(cli, [args[0], str(hostile_vault), *args[1:]])
    assert result.exit_code in (0, 1), result.output
    payload = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    if args[0] in ("sync", "clean"):
        paths = set(payload["changed"]) | set(payload["created"]) | set(payload["deleted"])
    elif args[0] == "check":
        paths = {p["path"] for p in payload["problems"]}
    else:
        paths = set(payload) | {e["path"] for related in payload.values() for e in related}
    assert {NEWLINE_NOTE, ESCAPE_NOTE} <= paths
    assert paths <= _note_paths(hostile_vault) | set(payload.get("deleted", []))
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout


def test_dry_run_json_output_is_one_document(hostile_vault: Path) -> None:
    result = CliRunner().invoke(cli, ["sync", str(hostile_vault), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"]


@pytest.mark.parametrize("command", ["sync", "clean"])
def test_dry_run_json_holds_the_diff_exactly(hostile_vault: Path, command: str) -> None:
    if command == "clean":
        app.sync(hostile_vault)
    payload = json.loads(CliRunner().invoke(cli, [command, str(hostile_vault), "--dry-run", "--json"]).stdout)
    report = app.sync(hostile_vault, dry_run=True) if command == "sync" else app.clean(hostile_vault, dry_run=True)
    assert payload["diff"] == report.diff
    assert "\x1b" in payload["diff"] and "<!-- vaultlink:" in payload["diff"]  # JSON escapes it: \u001b
    plain = json.loads(CliRunner().invoke(cli, [command, str(hostile_vault), "--json"]).stdout)
    assert "diff" not in plain


def _graphml_nodes(out: Path) -> tuple[ET.Element, list[ET.Element]]:
    tree = ET.parse(out)  # a strict XML parser: the file is well formed
    root = tree.getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    return root, root.findall("g:graph/g:node", ns)


def test_graphml_escapes_every_name_and_label(hostile_vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    app.export_graph(hostile_vault, out)
    text = out.read_text(encoding="utf-8")
    assert "<!DOCTYPE" not in text and "<!ENTITY" not in text and "<![CDATA[" not in text
    _root, nodes = _graphml_nodes(out)
    graph = app.concept_graph(app.scan_vault(hostile_vault))
    ids = xml_ids(list(graph.nodes))
    assert {n.get("id") for n in nodes} == set(ids.values())
    assert len(nodes) == graph.number_of_nodes()
    assert "injected" not in {n.get("id") for n in nodes}
    back = nx.read_graphml(out)
    assert back.number_of_edges() == graph.number_of_edges()
    for node, attrs in graph.nodes(data=True):
        for key, value in attrs.items():
            if isinstance(value, str):
                assert back.nodes[ids[node]].get(key, "") == xml_safe(value), (node, key)


names = st.text(
    st.characters(codec="utf-8", blacklist_characters="/\x00"), min_size=1, max_size=12
).filter(lambda s: s not in (".", "..") and not s.startswith(".") and len(s.encode()) < 200)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(names, min_size=1, max_size=4, unique_by=lambda s: s.casefold()), st.lists(names, max_size=3))
def test_graphml_of_any_names_parses_and_keeps_every_node(note_names: list[str], missing: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        root.mkdir()
        for name in note_names:
            body = " ".join(f"[[{m}]]" for m in [*missing, *note_names] if "]" not in m and "|" not in m)
            (root / f"{name}.md").write_text(f"---\ntitle: {json.dumps(name)}\n---\n{body}\n", encoding="utf-8")
        out = Path(tmp) / "g.graphml"
        app.export_graph(root, out)
        _root, nodes = _graphml_nodes(out)
        graph = app.concept_graph(app.scan_vault(root))
        assert {n.get("id") for n in nodes} == set(xml_ids(list(graph.nodes)).values())
        assert len(nodes) == graph.number_of_nodes()


def test_graphml_gives_two_names_made_alike_for_xml_two_ids(make_vault: VaultFactory, tmp_path: Path) -> None:
    """Found by the property above: links to ``\x07`` and ``\x08`` were one node in the file."""
    root = make_vault({"A.md": "[[\x07]] [[\x08]] [[\ufffd]]\n"})
    out = tmp_path / "g.graphml"
    app.export_graph(root, out)
    _root, nodes = _graphml_nodes(out)
    assert len(nodes) == app.concept_graph(app.scan_vault(root)).number_of_nodes()
    assert len({n.get("id") for n in nodes}) == len(nodes)


def test_check_text_output_does_not_pass_terminal_escapes_through(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "See [[Ghost\x1bc]]: ESC c resets the terminal.\n"})
    result = CliRunner().invoke(cli, ["check", str(root)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "A.md:1: unusable-name: [[Ghost\\x1bc]] has no note" in result.output


TERMINAL_CONTROLS = ["\x1b", "\x07", "\x08", "\x9b", "\u202e", "\u2028"]


@pytest.mark.parametrize(
    "args",
    [
        ["sync"],
        ["sync", "--dry-run"],
        ["clean", "--dry-run"],
        ["check"],
        ["related", "--all"],
        ["related", ESCAPE_NOTE.removesuffix(".md")],
    ],
    ids=["sync", "sync-dry-run", "clean-dry-run", "check", "related-all", "related-one"],
)
def test_text_output_escapes_what_a_terminal_would_act_on(hostile_vault: Path, args: list[str]) -> None:
    (hostile_vault / "ctl.md").write_text("Bell \x07, CSI \x9b2J, [[back\x08space]] and \u202eevil.\n")
    if args[0] == "clean":
        app.sync(hostile_vault)
    result = CliRunner().invoke(cli, [args[0], str(hostile_vault), *args[1:]])
    assert result.exit_code in (0, 1), result.output
    out = result.stdout + result.stderr
    assert [c for c in TERMINAL_CONTROLS if c in out] == []
    assert "\r" not in out.replace("\r\n", "")
    if args != ["sync"]:  # a sync prints counts only
        assert "esc \\x1b[31mred\\x1b[0m" in out  # the note's name, shown escaped
    if args[-1] == "--dry-run":
        assert "\n+<!-- vaultlink:" in out or "\n-<!-- vaultlink:" in out  # still a diff, line by line


def test_a_failed_command_shows_the_name_it_was_given_escaped(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "a\n"})
    result = CliRunner().invoke(cli, ["related", str(root), "No\x1b]0;title\x07 such"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "'No\\x1b]0;title\\x07 such'" in result.output


def test_the_recorder_sees_writes_reads_processes_and_sockets(tmp_path: Path) -> None:
    """The audit hook these tests rely on does see what it must forbid."""
    import socket
    import subprocess

    inside = tmp_path / "vault"
    inside.mkdir()
    with recording() as rec:
        (tmp_path / "written.md").write_bytes(b"x")
        (tmp_path / "written.md").read_bytes()
        os.replace(tmp_path / "written.md", tmp_path / "moved.md")
        subprocess.run(["true"], check=True)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 9), timeout=1):
            pass
        exec(compile("1 + 1", "<note>", "eval"))
    assert {str(tmp_path / "written.md"), str(tmp_path / "moved.md")} <= set(rec.writes_outside(inside))
    assert str(tmp_path / "written.md") in rec.reads_outside(inside)
    events = {event for event, _ in rec.forbidden}
    assert {"subprocess.Popen", "socket.connect", "compile", "exec"} <= events

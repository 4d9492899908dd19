"""The graph page (``vaultlink graph VAULT -o graph.html``): valid, self-contained HTML that fetches
nothing, whose data is the graph, and which renders in headless Chromium, at 10,000 notes too.

The Chromium tests skip with the reason when no Chromium is installed (on Debian:
``apt-get install chromium``). They record every request the page and its workers make over the
DevTools protocol, and route the browser through a recording proxy on the loopback, so a request
to any host, from anywhere in the browser, would be seen. Chromium calls Google's update and
sign-in servers by itself whatever the flags (seen here with no page open too); those hosts are
told apart, and only those."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from browser import Page, find_chromium, open_page, png_pixels
from conftest import ROOT, VaultFactory, pristine_sample

from vaultlink import app
from vaultlink.core.config import Config
from vaultlink.core.graph import add_related, build_graph
from vaultlink.core.note import Suggestion
from vaultlink.core.parse import parse_text
from vaultlink.core.resolve import resolve_all
from vaultlink.export_html import EDGE_KINDS, page_data, page_html, web_file

WEB = ROOT / "vaultlink" / "web"
VENDORED = ("sigma.min.js", "graphology.umd.min.js", "graphology-library.min.js")
VOID = {"meta", "input", "br", "hr", "img", "link", "source", "wbr", "area", "base", "col", "embed", "track"}
BACKGROUND = (0xFB, 0xFB, 0xFA)
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#76b7b2", "#edc948"]

CHROMIUM = find_chromium()
requires_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium to render the page in (Debian: apt-get install chromium)"
)


# --- the page as text -----------------------------------------------------------------------


class StrictHTML(HTMLParser):
    """Every element closed in order (void elements aside), and what the page refers to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.doctype = ""
        self.text_of: dict[str, str] = {}

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.text_of[self.open[-1]] = self.text_of.get(self.open[-1], "") + data


def parsed(page: str) -> StrictHTML:
    checker = StrictHTML()
    checker.feed(page)
    checker.close()
    return checker


def sample_graph() -> nx.DiGraph[str]:
    config = Config()
    files = {
        "bread/Starter.md": "---\ntags: [baking]\naliases: [Levain]\n---\n# Starter\n\nSee [[Loaf]] and [[Ghost]].\n",
        "bread/Loaf.md": "# Loaf\n\nA loaf.\n",
        "garden/Tomato.md": "# Tomato </script><!-- <b>bold</b>\n\nSee [[Loaf]].\n",
        "Home.md": "# Home\n",
    }
    notes = [n for n in (parse_text(p, t, config).note for p, t in files.items()) if n is not None]
    graph = build_graph(notes, resolve_all(notes, config), config)
    add_related(graph, {"garden/Tomato.md": [Suggestion("bread/Starter.md", 0.75, ("sourdough", "mentioned here"))]})
    return graph


def data_of(page: str) -> dict[str, object]:
    block = re.search(r'<script type="application/json" id="vaultlink-data">(.*?)</script>', page, re.S)
    assert block is not None
    loaded: dict[str, object] = json.loads(block.group(1))
    return loaded


def test_page_is_well_formed_html_with_one_document_structure() -> None:
    page = page_html(sample_graph())
    checker = parsed(page)
    assert checker.doctype.lower() == "doctype html"
    assert checker.problems == []
    assert checker.open == []
    names = [tag for tag, _ in checker.tags]
    assert [names.count(t) for t in ("html", "head", "body", "title", "main")] == [1, 1, 1, 1, 1]
    assert ("meta", {"charset": "utf-8"}) in checker.tags


def test_page_refers_to_nothing_outside_itself() -> None:
    page = page_html(sample_graph())
    checker = parsed(page)
    for tag, attrs in checker.tags:
        assert tag not in {"link", "iframe", "object", "embed", "img", "base", "frame", "audio", "video"}, tag
        for name in ("src", "href", "action", "formaction", "srcset", "poster", "data", "background"):
            assert name not in attrs, (tag, name)
    assert "url(" not in web_file("graph.css") and "@import" not in web_file("graph.css")
    own = page
    for name in VENDORED:  # the libraries name XML namespaces (gexf.net) as strings; they fetch nothing
        own = own.replace(web_file(name), "")
    assert "http://" not in own and "https://" not in own
    for call in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "import(", "importScripts"):
        assert call not in web_file("graph.js"), call


def test_content_security_policy_forbids_every_fetch() -> None:
    (policy,) = [
        attrs["content"]
        for tag, attrs in parsed(page_html(sample_graph())).tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy is not None
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'"
    assert "connect-src" not in rules  # so it is default-src's 'none'
    assert rules["script-src"] == "'unsafe-inline'"
    assert rules["worker-src"] == "blob:"
    assert "http" not in policy


def test_note_text_cannot_end_the_data_block_or_open_a_comment() -> None:
    graph = sample_graph()
    page = page_html(graph)
    scripts = sum(1 for tag, _ in parsed(page).tags if tag == "script")
    assert page.count("</script") == scripts
    data = data_of(page)
    assert "Tomato </script><!-- <b>bold</b>" in data["nodes"]["label"]  # type: ignore[index]


def test_vendored_scripts_hold_nothing_that_would_end_or_comment_out_their_element() -> None:
    for name in (*VENDORED, "graph.js"):
        text = web_file(name)
        assert "</script" not in text.casefold() and "<!--" not in text, name


def test_vendored_files_are_the_published_builds_with_their_licences() -> None:
    readme = (WEB / "README.md").read_text(encoding="utf-8")
    for name in VENDORED:
        digest = hashlib.sha256((WEB / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme, name
    for licence in ("LICENSE-sigma.txt", "LICENSE-graphology.txt", "LICENSE-graphology-library.txt"):
        assert "Permission is hereby granted" in (WEB / licence).read_text(encoding="utf-8")
    assert "events@" in (WEB / "THIRD-PARTY-LICENSES.txt").read_text(encoding="utf-8")


def test_page_data_is_the_graph_column_by_column() -> None:
    graph = sample_graph()
    data = page_data(graph)
    nodes, edges = data["nodes"], data["edges"]
    order = list(graph.nodes)
    assert len(nodes["label"]) == len(nodes["x"]) == len(nodes["y"]) == graph.number_of_nodes()
    assert len(edges["source"]) == graph.number_of_edges()
    starter = order.index("note:bread/Starter.md")
    assert nodes["tags"][starter] == ["baking"]
    assert nodes["aliases"][starter] == ["Levain"]
    assert data["folders"] == ["bread", "", "garden"]  # most notes first, then by name
    assert nodes["group"][starter] == 0
    assert nodes["group"][order.index("note:Home.md")] == 1
    assert nodes["group"][order.index("missing:ghost.md")] == -1
    ends = zip(edges["source"], edges["target"], edges["kind"], strict=True)
    pairs = {(order[s], order[t], EDGE_KINDS[k]) for s, t, k in ends}
    assert pairs == {(u, v, k) for u, v, k in graph.edges(data="kind")}
    (related,) = [i for i, k in enumerate(edges["kind"]) if EDGE_KINDS[k] == "related"]
    assert data["reasons"] == {str(related): ["sourdough", "mentioned here"]}
    assert edges["weight"][related] == 0.75


@pytest.mark.parametrize("files", [{}, {"only.md": "# Only\n"}], ids=["empty vault", "one note"])
def test_a_page_is_written_for_an_empty_vault_and_a_single_note(
    make_vault: VaultFactory, tmp_path: Path, files: dict[str, str]
) -> None:
    out = tmp_path / "g.html"
    app.export_graph(make_vault(files), out, app.NO_CACHE)
    data = data_of(out.read_text(encoding="utf-8"))
    assert data["nodes"]["label"] == [f[:-3].capitalize() for f in files]  # type: ignore[index]
    assert data["edges"]["source"] == []  # type: ignore[index]


# --- in Chromium ----------------------------------------------------------------------------


CHROMIUM_OWN_HOSTS = ("update.googleapis.com", "accounts.google.com", "clients2.google.com")


def proxied_host(request_line: str) -> str:
    """The host a proxied request goes to: ``CONNECT host:443 …`` or ``GET http://host/… …``."""
    target = request_line.split(" ")[1] if " " in request_line else request_line
    return target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]


class RecordingProxy:
    """An HTTP proxy on the loopback that answers nothing and records every request line."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(2)
                try:
                    self.seen.append(client.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                except OSError as exc:
                    self.seen.append(f"connection ({exc})")

    def flags(self) -> tuple[str, str]:
        return f"--proxy-server=http://127.0.0.1:{self.port}", "--proxy-bypass-list=<-loopback>"

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    recording = RecordingProxy()
    yield recording
    recording.close()


READY = "window.vaultlinkPage && window.vaultlinkPage.rendered && JSON.stringify(window.vaultlinkPage)"


def graph_pixels(page: Page) -> list[tuple[int, int, int]]:
    """The screenshot's pixels right of the controls panel, at half size."""
    width, _, rows = png_pixels(page.screenshot(scale=0.5))
    left = 300 // 2
    return [
        (row[3 * x], row[3 * x + 1], row[3 * x + 2]) for row in rows for x in range(left, width)
    ]


def near(pixel: tuple[int, int, int], colour: str, slack: int = 12) -> bool:
    target = bytes.fromhex(colour[1:])
    return all(abs(a - b) <= slack for a, b in zip(pixel, target, strict=True))


def search(page: Page, text: str) -> str:
    """Type ``text`` in the search box; the matches the page lists."""
    page.evaluate(f"search.value = {json.dumps(text)}; search.dispatchEvent(new Event('input'))")
    matches: str = page.evaluate("matches.textContent")
    return matches


def assert_nothing_left_the_page(page: Page, proxy: RecordingProxy, page_url: str) -> None:
    requested = page.requested()
    assert page_url in requested
    outside = [url for url in requested if not url.startswith(("file:", "blob:", "data:"))]
    assert outside == []
    assert [line for line in proxy.seen if proxied_host(line) not in CHROMIUM_OWN_HOSTS] == []


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "sample graph.html"
    app.export_graph(pristine_sample(), out, app.NO_CACHE)
    return out


@pytest.mark.slow
@requires_chromium
def test_sample_page_renders_the_graph_and_fetches_nothing(
    sample_page: Path, proxy: RecordingProxy, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    with open_page(CHROMIUM, sample_page.as_uri(), tmp_path / "profile", *proxy.flags()) as page:
        status = json.loads(page.wait_for(READY, 60))
        assert status["errors"] == []
        summary = page.evaluate("document.getElementById('counts').textContent")
        pixels = graph_pixels(page)
        assert page.problems() == []
        assert_nothing_left_the_page(page, proxy, sample_page.as_uri())
    data = data_of(sample_page.read_text(encoding="utf-8"))
    assert status["nodes"] == len(data["nodes"]["label"])  # type: ignore[index]
    assert status["edges"] == len(data["edges"]["source"])  # type: ignore[index]
    assert summary.startswith(f"{data['nodes']['kind'].count(0)} notes")  # type: ignore[index]
    drawn = [p for p in pixels if max(abs(a - b) for a, b in zip(p, BACKGROUND, strict=True)) > 24]
    assert len(drawn) > 0.01 * len(pixels), "the graph area is blank"
    folder_colours = [c for c in PALETTE if sum(near(p, c) for p in drawn) > 20]
    assert len(folder_colours) >= 4, folder_colours  # the notes of four folders at least, in their colours


@pytest.mark.slow
@requires_chromium
def test_search_then_details_show_related_links_backlinks_and_path(sample_page: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    with open_page(CHROMIUM, sample_page.as_uri(), tmp_path / "profile") as page:
        page.wait_for(READY, 60)
        matches = search(page, "sauerkraut")
        assert "Sauerkraut" in matches
        page.evaluate("search.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))")
        details = page.wait_for("!details.hidden && details.innerText", 10)
        headings = page.evaluate("[...document.querySelectorAll('#details h3')].map(h => h.textContent)")
        # a Related entry is a link to another note; clicking it shows that note
        first = page.evaluate("document.querySelector('#details ul a').textContent")
        page.evaluate("document.querySelector('#details ul a').click()")
        after = page.evaluate("document.querySelector('#details h2').textContent")
        assert page.problems() == []
    assert "cooking/Sauerkraut.md" in details
    assert any(h.startswith("Related (") for h in headings), headings
    assert any(h.startswith(("Links (", "Backlinks (")) for h in headings), headings
    assert after == first


@pytest.mark.slow
@requires_chromium
def test_hostile_titles_are_shown_as_text_and_run_nothing(make_vault: VaultFactory, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    hostile = '<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script><!--'
    vault = make_vault({"a.md": f"# {hostile}\n\nSee [[b]].\n", "b.md": "# B\n\nBack to [[a]].\n"})
    out = tmp_path / "g.html"
    app.export_graph(vault, out, app.NO_CACHE)
    with open_page(CHROMIUM, out.as_uri(), tmp_path / "profile") as page:
        page.wait_for(READY, 60)
        index = page.evaluate(
            f"JSON.parse(document.getElementById('vaultlink-data').textContent).nodes.label.indexOf({json.dumps(hostile)})"
        )
        assert index >= 0
        search(page, "pwned")
        page.evaluate("search.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))")
        title = page.wait_for("!details.hidden && document.querySelector('#details h2').textContent", 10)
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('img, script[src]').length") == 0
    assert title == hostile


@pytest.mark.slow
@requires_chromium
def test_refining_runs_forceatlas2_in_a_worker_that_fetches_nothing(
    sample_page: Path, proxy: RecordingProxy, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    with open_page(CHROMIUM, sample_page.as_uri(), tmp_path / "profile", *proxy.flags()) as page:
        page.wait_for(READY, 60)
        before = page.evaluate("JSON.stringify(window.vaultlinkPage)")
        page.evaluate("document.getElementById('layout-toggle').click()")
        page.wait_for("window.vaultlinkPage.iterations > 5", 60)
        page.evaluate("document.getElementById('layout-toggle').click()")
        status = json.loads(page.evaluate("JSON.stringify(window.vaultlinkPage)"))
        assert page.problems() == []
        assert_nothing_left_the_page(page, proxy, sample_page.as_uri())
        assert any(url.startswith("blob:") for url in page.requested())  # the worker's code
    assert json.loads(before)["layout"] == "still"
    assert status["layout"] == "still" and status["errors"] == []


@requires_chromium
@pytest.mark.slow
def test_a_10000_note_vault_page_renders(tmp_path: Path, proxy: RecordingProxy) -> None:
    assert CHROMIUM is not None
    vault = tmp_path / "vault"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_vault.py"), "10000", str(vault)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "g.html"
    summary, _ = app.export_graph(vault, out, app.NO_CACHE)
    assert summary.notes == 10000
    with open_page(CHROMIUM, out.as_uri(), tmp_path / "profile", *proxy.flags()) as page:
        status = json.loads(page.wait_for(READY, 300, every=1.0))
        pixels = graph_pixels(page)
        assert page.problems() == []
        assert_nothing_left_the_page(page, proxy, out.as_uri())
    assert status["errors"] == []
    assert status["nodes"] == summary.notes + summary.missing + summary.concepts
    drawn = [p for p in pixels if max(abs(a - b) for a, b in zip(p, BACKGROUND, strict=True)) > 24]
    assert len(drawn) > 0.05 * len(pixels), "the graph area is nearly blank"

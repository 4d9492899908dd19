"""Time the graph page at 10,000 notes: writing it (with its layout), and drawing it in Chromium.

Run by hand (never as a timed test):

    python benchmarks/bench_graph_page.py [--notes 10000] [--vault PATH] [--repeat 3] [--no-browser]

Without ``--vault`` a synthetic vault of ``--notes`` notes is generated (``make_vault.py``, seed 1).
Python stages, each the median of ``--repeat`` runs: the scan (no cache), the concept graph with
its Related edges, the layout (``core/layout.py``), the page's data and text without the layout,
and the whole ``vaultlink graph -o page.html``. In headless Chromium (if there is one): the time
from navigation until the page is drawn, the page's own split (JSON parsed, graph built, first
frame), a hover on and off the note with the most edges, a redraw of every node and edge as the
page starts (mentions hidden past 50,000 edges) and with every edge shown (what a click, a
toggle or a search costs), and ForceAtlas2's steps per second in its worker (the "refine"
button). Chromium has no GPU here: WebGL runs on SwiftShader, on the CPU. The load
average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from vaultlink import app
from vaultlink.core.graph import summarize
from vaultlink.core.layout import force_layout
from vaultlink.export_html import page_data, page_html, starting_positions, top_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import find_chromium, open_page  # the tests' DevTools driver

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
HUB = """(() => {
  const data = JSON.parse(document.getElementById('vaultlink-data').textContent), degree = {};
  for (const end of [...data.edges.source, ...data.edges.target]) degree[end] = (degree[end] || 0) + 1;
  return Object.keys(degree).filter(n => data.nodes.kind[n] === 0).sort((a, b) => degree[b] - degree[a])[0];
})()"""
"""The note with the most edges, whose hover redraws the most."""


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median time of ``repeat`` calls, and the last call's result."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def python_stages(root: Path, out: Path, repeat: int) -> None:
    seconds, scan = timed(lambda: app.scan_vault(root, app.NO_CACHE, keep_texts=False), repeat)
    print(f"{'scan (parse + resolve, no cache)':44s} {seconds:7.2f} s")
    seconds, graph = timed(lambda: app.concept_graph(scan), repeat)
    print(f"{'concept graph + Related edges (ranking)':44s} {seconds:7.2f} s")
    summary = summarize(graph)
    print(f"{'':44s} {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges: {summary}")
    attrs = [a for _, a in graph.nodes(data=True)]
    index = {node: i for i, node in enumerate(graph)}
    sources = np.array([index[u] for u, _ in graph.edges], dtype=np.int64)
    targets = np.array([index[v] for _, v in graph.edges], dtype=np.int64)
    per_folder: dict[str, int] = {}
    for a in attrs:
        if a["kind"] == "note":
            per_folder[top_folder(a["path"])] = per_folder.get(top_folder(a["path"]), 0) + 1
    folders = sorted(per_folder, key=lambda f: (-per_folder[f], f))
    start = starting_positions([a["kind"] for a in attrs], [top_folder(a["path"]) for a in attrs], folders)
    seconds, _ = timed(lambda: force_layout(sources, targets, start), repeat)
    print(f"{'layout (300 steps, numpy + FFT grid)':44s} {seconds:7.2f} s")
    seconds_data, _ = timed(lambda: page_data(graph), repeat)
    seconds_page, text = timed(lambda: page_html(graph), repeat)
    print(f"{'page data (layout included)':44s} {seconds_data:7.2f} s")
    print(f"{'page text (data + JSON + template)':44s} {seconds_page:7.2f} s, {len(text) / 1e6:.1f} MB")
    seconds, _ = timed(lambda: app.export_graph(root, out, app.NO_CACHE), repeat)
    print(f"{'vaultlink graph -o page.html (all of it)':44s} {seconds:7.2f} s")


def browser_stages(out: Path, repeat: int) -> None:
    binary = find_chromium()
    if binary is None:
        print("no Chromium: browser stages skipped")
        return
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as profile, open_page(binary, out.as_uri(), Path(profile)) as page:
            started = time.perf_counter()
            ready = "window.vaultlinkPage && window.vaultlinkPage.rendered && JSON.stringify(window.vaultlinkPage)"
            status = json.loads(page.wait_for(ready, 600, 0.1))
            drawn = time.perf_counter() - started
            hub = page.evaluate(HUB)
            hovers = [page.evaluate(f"window.vaultlinkPage.hover({node})") for node in (hub, "null") * 3]
            default = [page.evaluate("window.vaultlinkPage.redraw()") for _ in range(3)]
            page.evaluate("document.querySelectorAll('#edges-shown input:not(:checked)').forEach(b => b.click())")
            every = [page.evaluate("window.vaultlinkPage.redraw()") for _ in range(3)]
            page.evaluate("document.getElementById('layout-toggle').click()")
            time.sleep(1.0)  # the worker's start: the graph copied into its arrays
            first = page.evaluate("window.vaultlinkPage.iterations")
            time.sleep(10.0)
            steps = (page.evaluate("window.vaultlinkPage.iterations") - first) / 10.0
            page.evaluate("document.getElementById('layout-toggle').click()")
        print(
            f"chromium: drawn {drawn:5.1f} s after navigation (page: {status['timings']}), "
            f"hover on the hub and off {statistics.median(hovers):5.0f} ms, "
            f"redraw all {statistics.median(default):5.0f} ms as it starts, "
            f"{statistics.median(every):5.0f} ms with every edge shown; "
            f"ForceAtlas2 worker {steps:4.1f} steps/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-graph-page-"))
    root = args.vault
    if root is None:
        root = work / "vault"
        subprocess.run([sys.executable, str(HERE / "make_vault.py"), str(args.notes), str(root)], check=True)
    out = work / "graph.html"
    print(f"vault: {root}, cores: {os.cpu_count()}, repeat: {args.repeat}, load average before: {load()}")
    python_stages(root, out, args.repeat)
    if not args.no_browser:
        browser_stages(out, args.repeat)
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()

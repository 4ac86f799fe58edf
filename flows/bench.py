"""`eventpipe bench`: what each stage costs, measured in one run on this machine.

A benchmark, not a test: it prints ratios measured side by side (shared,
noisy machines make absolute timings in tests meaningless). The corpus is
N pages written to a scratch folder one at a time: real pages varied so none
is a duplicate, or generated news pages when no real ones are at hand.
The flow runs in child processes so that each one's peak RSS is its own.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tasks.errors import EventpipeError

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "article-extraction-benchmark" / "html"
DEV_CASES = SHARED / "eval" / "dev_cases.jsonl"
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
# The RSS check runs the flow again over this many times the pages.
RSS_SCALE = 10
# A page is varied by a mark after every block of text (the story is in some of
# them, whatever the site's markup), so its extracted text and content hash differ
# from every other copy's: a single mark after the first paragraph missed the
# story on 112 of the 181 real pages.
_VARIANT = "copy {i}"
_BLOCKS = "//p|//li|//td|//blockquote|//h2|//div[not(*)]"


@dataclass(slots=True)
class BenchReport:
    """Every figure the benchmark prints, in one record (also its --json output)."""

    pages: int
    corpus: str
    cores: int = os.cpu_count() or 1
    trafilatura_pages_s: float = 0.0
    flow_pages_s: float = 0.0
    flow_vs_trafilatura: float = 0.0
    clean_pages_s: float = 0.0
    coder_articles_s: float = 0.0
    coder_dev_cases_s: float | None = None
    store_rows_s: float = 0.0
    rerun_s: float = 0.0
    first_run_s: float = 0.0
    rerun_vs_first: float = 0.0
    rss_mib_n: float = 0.0
    rss_mib_10n: float | None = None
    rss_10n_vs_n: float | None = None
    # The same, for the flow's whole process tree: its pool workers and Prefect's server.
    tree_mib_n: float = 0.0
    tree_mib_10n: float | None = None
    tree_10n_vs_n: float | None = None
    notes: list[str] = field(default_factory=list)


def source_pages(corpus: Path | None) -> list[Path]:
    """Pages (`.html`, `.html.gz`) to vary: `corpus`, else the shared ones, else none."""
    folder = corpus or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else None)
    if folder is None:
        return []
    if not folder.is_dir():
        raise EventpipeError(f"no corpus folder at {folder}")
    pages = sorted(p for p in folder.rglob("*") if p.name.lower().endswith(PAGE_SUFFIXES))
    if corpus is not None and not pages:
        raise EventpipeError(f"no .html pages in {folder}")
    return pages


def read_page(path: Path) -> str:
    """A page's HTML (the shared corpus keeps its pages gzipped)."""
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def generated_page(i: int, rng: random.Random) -> str:
    """A news-like page with a political event in it, for machines without real pages."""
    places = ["Kunar", "Helmand", "Lagos", "Kharkiv", "Goma", "Mosul", "Sinaloa", "Tigray"]
    actors = ["Security forces", "Gunmen", "Police", "Rebel fighters", "Protesters"]
    place, actor = rng.choice(places), rng.choice(actors)
    killed = rng.randint(0, 30)
    body = "".join(
        f"<p>{actor} clashed with residents near {place} on Tuesday, officials said, and"
        f" at least {killed} people were killed in the fighting (report {i}, part {k}).</p>"
        f"<p>Local leaders called for calm and urged the authorities to open an inquiry into"
        f" the violence, which followed weeks of rising tension in the district.</p>"
        for k in range(6)
    )
    return (
        f"<html><head><title>Clashes near {place} ({i})</title>"
        f'<meta name="date" content="2025-10-{1 + i % 28:02d}"></head>'
        f"<body><nav>Home | World</nav><article><h1>Clashes near {place}</h1>{body}"
        f"</article><footer>Copyright</footer></body></html>"
    )


def write_corpus(n: int, out: Path, pages: list[Path], seed: int = 7) -> list[Path]:
    """Write `n` distinct pages into `out`, one at a time (never the corpus in memory)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    written = []
    for i in range(n):
        html = _vary(read_page(pages[i % len(pages)]), i) if pages else generated_page(i, rng)
        path = out / f"page_{i:06d}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written


def _tag(i: int) -> str:
    """`i` in letters (a, b, ... z, ba...): no digits for the coder to read as a count."""
    letters = ""
    while True:
        i, rest = divmod(i, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        if not i:
            return letters


def _vary(html: str, i: int) -> str:
    """The page with a copy mark after each block of text, wherever its story is."""
    import lxml.html

    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html + f"<p>{_VARIANT.format(i=_tag(i))}</p>"
    mark = f" [{_VARIANT.format(i=_tag(i))}]"
    for block in doc.xpath(_BLOCKS):
        if len(block):
            block[-1].tail = (block[-1].tail or "") + mark
        else:
            block.text = (block.text or "") + mark
    return str(lxml.html.tostring(doc, encoding="unicode"))


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def bench_trafilatura(paths: list[Path]) -> float:
    """The limit: trafilatura's extraction alone, one process (pages/s)."""
    from tasks.clean import html_to_text

    started = time.perf_counter()
    for path in paths:
        html_to_text(path.read_bytes())
    return _rate(len(paths), time.perf_counter() - started)


def bench_clean(paths: list[Path]) -> tuple[float, list[Any]]:
    """Load and clean alone (pages/s), returning the articles for the next stages."""
    from tasks.clean import clean_docs
    from tasks.load import load_paths

    started = time.perf_counter()
    docs, _ = load_paths(paths)
    articles, _ = clean_docs(docs)
    return _rate(len(paths), time.perf_counter() - started), articles


def bench_coder(articles: list[Any]) -> tuple[float, list[Any]]:
    """The event coder alone (articles/s, one process: so per core)."""
    from tasks.coding import code_articles

    started = time.perf_counter()
    coded, _ = code_articles(articles)
    return _rate(len(articles), time.perf_counter() - started), coded


def bench_dev_cases(repeat: int = 5) -> float | None:
    """The coder over the labelled dev cases, when ../shared has them (articles/s)."""
    if not DEV_CASES.exists():
        return None
    from tasks.extract import predict_cases

    cases = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
    started = time.perf_counter()
    for _ in range(repeat):
        for _prediction in predict_cases(cases):
            pass
    return _rate(len(cases) * repeat, time.perf_counter() - started)


def bench_store(coded: list[Any], scratch: Path) -> float:
    """The DuckDB load alone: one batch into a fresh warehouse (rows/s)."""
    from tasks.store import store_batch
    from warehouse.runs import start_run

    db = scratch / "store-only.duckdb"
    start_run(db, "bench-store", "bench", {})
    started = time.perf_counter()
    counts = store_batch(db, "bench-store", coded, [])
    rows = counts.articles_new + counts.events_stored
    return _rate(rows, time.perf_counter() - started)


def run_flow_child(folder: Path, db: Path, reruns: int) -> dict[str, Any]:
    """Run the ingest flow in a child process; its seconds per run and its peak RSS."""
    cmd = [sys.executable, "-m", "flows.bench", str(folder), str(db), str(reruns)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise EventpipeError(f"benchmark flow run failed: {' / '.join(tail)}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in KiB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, frontier = {root}, [root]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    return sum(rss.get(p, 0) for p in tree)


class _TreeSampler(threading.Thread):
    """Samples the process tree's memory (the pool's workers included) until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_kib = max(self.peak_kib, tree_rss_kib(os.getpid()))


def _child(folder: str, db: str, reruns: int) -> None:
    """In the child: warm Prefect up, then time the flow over the folder (JSON on stdout)."""
    from flows.ingest import ingest_files
    from flows.runs import local_run_settings

    scratch = Path(db).with_suffix(".warmup.duckdb")
    warm = Path(folder).parent / "warmup.txt"
    warm.write_text("Police arrested ten protesters in Lagos on Monday.", encoding="utf-8")
    seconds = []
    articles = 0
    sampler = _TreeSampler()
    with local_run_settings():  # as `eventpipe ingest` runs
        ingest_files([str(warm)], db=str(scratch))  # starts Prefect's temporary API
        sampler.start()
        for _ in range(1 + reruns):
            started = time.perf_counter()
            result = ingest_files([folder], db=db)
            seconds.append(time.perf_counter() - started)
            articles = articles or result.counts.articles_new
    sampler.done.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"seconds": seconds, "articles": articles, "maxrss_kib": peak}
    print(json.dumps({**figures, "tree_kib": sampler.peak_kib}))


def run_bench(n: int, corpus: Path | None = None, rss_scale: int = RSS_SCALE) -> BenchReport:
    """Measure every stage over `n` pages, and the flow's peak RSS at n and rss_scale x n."""
    if n < 1:
        raise EventpipeError("--n must be at least 1")
    pages = source_pages(corpus)
    label = str(corpus or DEFAULT_CORPUS) if pages else "generated news pages"
    report = BenchReport(pages=n, corpus=label)
    with tempfile.TemporaryDirectory(prefix="eventpipe-bench-") as tmp:
        scratch = Path(tmp)
        paths = write_corpus(n, scratch / "pages", pages)
        bench_coder(bench_clean(paths[:3])[1])  # imports and caches load outside the timings
        report.trafilatura_pages_s = bench_trafilatura(paths)
        report.clean_pages_s, articles = bench_clean(paths)
        report.coder_articles_s, coded = bench_coder(articles)
        report.coder_dev_cases_s = bench_dev_cases()
        report.store_rows_s = bench_store(coded, scratch)
        del articles, coded
        first = run_flow_child(scratch / "pages", scratch / "flow.duckdb", reruns=1)
        report.first_run_s = round(first["seconds"][0], 2)
        report.rerun_s = round(first["seconds"][1], 2)
        report.rerun_vs_first = round(report.rerun_s / report.first_run_s, 3)
        report.flow_pages_s = _rate(n, report.first_run_s)
        report.flow_vs_trafilatura = round(report.flow_pages_s / report.trafilatura_pages_s, 2)
        report.rss_mib_n = round(first["maxrss_kib"] / 1024, 1)
        report.tree_mib_n = round(first["tree_kib"] / 1024, 1)
        if rss_scale > 1:
            big = write_corpus(n * rss_scale, scratch / "pages-big", pages, seed=11)
            del big
            large = run_flow_child(scratch / "pages-big", scratch / "flow-big.duckdb", reruns=0)
            report.rss_mib_10n = round(large["maxrss_kib"] / 1024, 1)
            report.rss_10n_vs_n = round(report.rss_mib_10n / report.rss_mib_n, 2)
            report.tree_mib_10n = round(large["tree_kib"] / 1024, 1)
            report.tree_10n_vs_n = round(report.tree_mib_10n / report.tree_mib_n, 2)
    if first["articles"] < n:
        report.notes.append(f"{n - first['articles']} of {n} pages gave no article text")
    return report


def report_lines(report: BenchReport) -> Iterator[str]:
    """The report as the lines `eventpipe bench` prints."""
    r = report
    yield f"corpus: {r.pages} pages from {r.corpus}; {r.cores} cores"
    yield f"limit   trafilatura alone, one process      {r.trafilatura_pages_s:>9} pages/s"
    yield (
        f"flow    ingest, pages from disk            {r.flow_pages_s:>9} pages/s"
        f"   = {r.flow_vs_trafilatura} x the limit"
    )
    yield f"stage   load + clean                        {r.clean_pages_s:>9} pages/s"
    yield f"stage   event coder (one core)              {r.coder_articles_s:>9} articles/s"
    if r.coder_dev_cases_s is not None:
        yield f"stage   event coder on the dev cases        {r.coder_dev_cases_s:>9} articles/s"
    yield f"stage   DuckDB load                         {r.store_rows_s:>9} rows/s"
    yield (
        f"re-run  over stored pages                 {r.rerun_s:>9} s"
        f"   = {r.rerun_vs_first} x the first run ({r.first_run_s} s)"
    )
    big = "" if r.rss_mib_10n is None else f";  at 10 x N {r.rss_mib_10n} MiB"
    ratio = "" if r.rss_10n_vs_n is None else f"  = {r.rss_10n_vs_n} x"
    yield f"memory  peak RSS of the flow at N {r.rss_mib_n} MiB{big}{ratio}"
    big = "" if r.tree_mib_10n is None else f";  at 10 x N {r.tree_mib_10n} MiB"
    ratio = "" if r.tree_10n_vs_n is None else f"  = {r.tree_10n_vs_n} x"
    yield f"memory  the same with its workers and server {r.tree_mib_n} MiB{big}{ratio}"
    for note in r.notes:
        yield f"note    {note}"


def as_json(report: BenchReport) -> str:
    return json.dumps(asdict(report), indent=2)


if __name__ == "__main__":  # the child process of run_flow_child
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))

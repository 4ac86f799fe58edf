"""`eventpipe bench`: what each stage costs, measured in one run on this machine.

A benchmark, not a test: it prints ratios measured side by side (shared,
noisy machines make absolute timings in tests meaningless), each beside its
target. The corpus is N pages written to a scratch folder one at a time:
real pages varied so that each holds a text of its own, or generated news
pages when no real ones are at hand, each text saved as a few byte-different
copies (as syndication, AMP and print versions, ads and tracking make them),
so the re-run figure covers copies too. The flow runs in child processes so
that each one's peak RSS is its own.
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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flows.bench_scale import ScaleReport, bench_band_lookup, bench_linking, scale_lines
from flows.runner import RunnerChoice
from tasks.errors import EventpipeError
from tasks.parallel import WORKERS_ENV

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "article-extraction-benchmark" / "html"
DEV_CASES = SHARED / "eval" / "dev_cases.jsonl"
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
# The RSS check runs the flow again over this many times the pages.
RSS_SCALE = 10
# Each text is saved as this many byte-different pages: a real re-run over 1,000
# stored pages held 225 texts (syndicated copies, AMP and print versions), about
# 4.4 pages a text. Copies extract to one text, so they are parsed but coded once.
DEFAULT_COPIES = 5
# Below this many pages the flow's fixed costs (a flow run recorded and finished,
# the pool's hand-offs, a few task runs a batch: about 0.3 s a run) are more than
# 5% of a first run at 20-25 ms a page, so the flow and re-run ratios measure
# overhead, not the pipeline: `--n 50` printed a flow at 0.05-0.08 x the limit and a
# re-run at 0.3-0.4 x the first run.
MIN_MEANINGFUL_N = 300
# The targets each figure is printed beside (README, Performance).
FLOW_TARGET = 1.0  # the flow's pages/s at least this many times trafilatura's alone
CODER_TARGET = 200.0  # articles/s on one core
RERUN_TARGET = 0.05  # a re-run over stored pages at most this fraction of the first run
RSS_TARGET = 1.3  # peak RSS at 10 x N at most this many times that at N
# The long article the coder is timed on (hostile input: a live blog, a dump).
LONG_ARTICLE_MB = 1.0
# The scale figures' warehouses (flows/bench_scale.py): linked events stored when a
# batch is linked (the million), and articles with signatures stored when a
# batch's near-duplicates are looked up.
LINK_EVENTS = 1_000_000
BAND_ARTICLES = 100_000
# A page is varied by a mark after every block of text (the story is in some of
# them, whatever the site's markup), so its extracted text and content hash differ
# from every other copy's: a single mark after the first paragraph missed the
# story on 112 of the 181 real pages.
_VARIANT = "copy {i}"
# Words added to each block of a reused page, a different draw per text: a real page
# used for several texts must make texts the near-duplicate check (MinHash, Jaccard
# 0.8) tells apart, or the flow rightly stores them as one. Twelve words a block keep
# two texts' shingles well under 0.8 alike.
_FILLER = [
    "amber",
    "basalt",
    "cobalt",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "jasper",
    "kelp",
    "lagoon",
    "marble",
    "nectar",
    "onyx",
    "pewter",
    "quartz",
    "russet",
    "saffron",
    "topaz",
    "umber",
    "velvet",
    "willow",
    "yarrow",
]
_FILLER_WORDS = 12
_BLOCKS = "//p|//li|//td|//blockquote|//h2|//div[not(*)]"


@dataclass(slots=True)
class BenchReport:
    """Every figure the benchmark prints, in one record (also its --json output)."""

    pages: int
    corpus: str
    texts: int = 0  # distinct texts among the pages (each saved as `copies` pages)
    copies: int = 1
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
    long_article_mb: float = 0.0
    long_article_s: float = 0.0
    coder_s_per_mb: float = 0.0
    scale: ScaleReport = field(default_factory=ScaleReport)
    # `--runner dask`: the same pages through the flow on Dask, beside the local pool.
    workers: int | None = None  # --workers: the pool's and the LocalCluster's processes
    dask_runner: str | None = None  # where: a LocalCluster of N workers, or an address
    dask_pages_s: float | None = None
    dask_vs_local: float | None = None  # Dask's pages/s over the local pool's
    dask_cluster_start_s: float | None = None  # the LocalCluster's start, outside the timing
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


def generated_story(i: int, rng: random.Random) -> tuple[str, list[str]]:
    """A news story's headline and paragraphs, with a political event in it."""
    places = ["Kunar", "Helmand", "Lagos", "Kharkiv", "Goma", "Mosul", "Sinaloa", "Tigray"]
    actors = ["Security forces", "Gunmen", "Police", "Rebel fighters", "Protesters"]
    place, actor = rng.choice(places), rng.choice(actors)
    killed = rng.randint(0, 30)
    paragraphs = [
        paragraph
        for k in range(6)
        for paragraph in (
            f"{actor} clashed with residents near {place} on Tuesday, officials said, and"
            f" at least {killed} people were killed in the fighting (report {i}, part {k}).",
            "Local leaders called for calm and urged the authorities to open an inquiry into"
            " the violence, which followed weeks of rising tension in the district.",
        )
    ]
    return f"Clashes near {place}", paragraphs


def generated_page(i: int, rng: random.Random) -> str:
    """A news-like page with a political event in it, for machines without real pages."""
    headline, paragraphs = generated_story(i, rng)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{headline} ({i})</title>"
        f'<meta name="date" content="2025-10-{1 + i % 28:02d}"></head>'
        f"<body><nav>Home | World</nav><article><h1>{headline}</h1>{body}"
        f"</article><footer>Copyright</footer></body></html>"
    )


def text_count(n: int, copies: int) -> int:
    """How many distinct texts `n` pages hold, each saved as up to `copies` pages."""
    return -(-n // max(1, copies))


def write_corpus(
    n: int, out: Path, pages: list[Path], seed: int = 7, copies: int = 1
) -> list[Path]:
    """Write `n` pages holding `text_count(n, copies)` distinct texts into `out`.

    Each text is saved as `copies` byte-different pages, spread over the corpus
    in a shuffled order (so copies meet both in one batch and across batches).
    Pages are written one at a time, never the corpus in memory.
    """
    out.mkdir(parents=True, exist_ok=True)
    texts = text_count(n, copies)
    order = [k % texts for k in range(n)]
    random.Random(seed).shuffle(order)
    seen: dict[int, int] = {}
    written = []
    for i, t in enumerate(order):
        if pages:
            html = _vary(read_page(pages[t % len(pages)]), t)
        else:
            html = generated_page(t, random.Random(f"{seed}-{t}"))
        copy = seen[t] = seen.get(t, -1) + 1
        path = out / f"page_{i:06d}.html"
        path.write_text(page_copy(html, copy), encoding="utf-8")
        written.append(path)
    return written


def page_copy(html: str, copy: int) -> str:
    """Copy number `copy` of a page: other bytes, the same article text.

    What differs between saved copies of one story and that text extraction
    drops: a cache comment, an ad slot's script, a tracking query string on a
    stylesheet, trailing whitespace. Copy 0 is the page itself.
    """
    if not copy:
        return html
    extra = (
        f"<!-- served by edge-{copy:03d}, request {copy * 7919:08x} -->"
        f'<script>window.adSlot = "slot-{copy}";</script>'
        f'<link rel="stylesheet" href="/static/site.css?utm_source=syndication&amp;v={copy}">'
    )
    at = html.lower().find("</head>")
    head = extra if at < 0 else ""
    body = html if at < 0 else html[:at] + extra + html[at:]
    return head + body + "\n" * copy


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
    draw = random.Random(i)
    filler = " ".join(draw.choice(_FILLER) for _ in range(_FILLER_WORDS))
    mark = f" [{_VARIANT.format(i=_tag(i))}: {filler}]"
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


def long_article(mb: float = LONG_ARTICLE_MB) -> str:
    """About `mb` MB of news text in one article: the dev cases' texts one after
    another (generated stories without ../shared), as a live blog or a dump would be."""
    if DEV_CASES.exists():
        cases = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
        stories = [f"{c.get('title') or ''}\n\n{c.get('text') or ''}" for c in cases]
    else:
        rng = random.Random(3)
        stories = [
            "\n\n".join([headline, *paragraphs])
            for headline, paragraphs in (generated_story(i, rng) for i in range(50))
        ]
    target = int(mb * 1_000_000)
    parts: list[str] = []
    size = 0
    while size < target:
        story = stories[len(parts) % len(stories)]
        parts.append(story)
        size += len(story.encode("utf-8")) + 2
    return "\n\n".join(parts)


def bench_long_article(mb: float = LONG_ARTICLE_MB) -> tuple[float, float]:
    """The coder once over a long article: its size (MB) and seconds, no deadline."""
    from tasks.extract import extract_events

    text = long_article(mb)
    started = time.perf_counter()
    extract_events(text)
    return len(text.encode("utf-8")) / 1_000_000, time.perf_counter() - started


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


def run_flow_child(
    folder: Path, db: Path, reruns: int, runner: RunnerChoice | None = None
) -> dict[str, Any]:
    """Run the ingest flow in a child process; its seconds per run and its peak RSS.

    `runner`: where its CPU stages run (default the local pool, of the cores)."""
    runner = runner or RunnerChoice()
    spec = json.dumps({"kind": runner.kind, "address": runner.address, "workers": runner.workers})
    cmd = [sys.executable, "-m", "flows.bench", str(folder), str(db), str(reruns), spec]
    env = dict(os.environ)
    if runner.kind == "local" and runner.workers:
        env[WORKERS_ENV] = str(runner.workers)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
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


def _child(folder: str, db: str, reruns: int, spec: str) -> None:
    """In the child: warm Prefect up, then time the flow over the folder (JSON on stdout).

    On Dask without an address the child starts one LocalCluster for all its runs (its
    start-up reported apart): the figure is the stages' throughput, not a cluster's start.
    """
    from flows.ingest import ingest_files
    from flows.runner import start_local_cluster, with_runner
    from flows.runs import local_run_settings

    choice = RunnerChoice(**json.loads(spec))
    cluster, cluster_start = None, None
    if choice.kind == "dask" and not choice.address:
        started = time.perf_counter()
        cluster = start_local_cluster(choice.workers)
        cluster_start = time.perf_counter() - started
        choice = RunnerChoice("dask", str(cluster.scheduler_address))
    flow = with_runner(ingest_files, choice)

    scratch = Path(db).with_suffix(".warmup.duckdb")
    warm = Path(folder).parent / "warmup.txt"
    warm.write_text("Police arrested ten protesters in Lagos on Monday.", encoding="utf-8")
    seconds = []
    articles = 0
    sampler = _TreeSampler()
    with local_run_settings():  # as `eventpipe ingest` runs
        flow([str(warm)], db=str(scratch))  # starts Prefect's temporary API
        sampler.start()
        for _ in range(1 + reruns):
            started = time.perf_counter()
            result = flow([folder], db=db)
            seconds.append(time.perf_counter() - started)
            articles = articles or result.counts.articles_new
    sampler.done.set()
    sampler.join()
    if cluster is not None:
        cluster.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"seconds": seconds, "articles": articles, "maxrss_kib": peak}
    figures.update(tree_kib=sampler.peak_kib, cluster_start_s=cluster_start)
    print(json.dumps(figures))


def run_bench(
    n: int,
    corpus: Path | None = None,
    rss_scale: int = RSS_SCALE,
    copies: int = DEFAULT_COPIES,
    long_mb: float = LONG_ARTICLE_MB,
    progress: Callable[[str], None] | None = None,
    link_events: int = LINK_EVENTS,
    band_articles: int = BAND_ARTICLES,
    runner: RunnerChoice | None = None,
) -> BenchReport:
    """Measure every stage over `n` pages (each text as `copies` pages), the flow's peak
    RSS at n and rss_scale x n, the coder on a `long_mb` MB article, and linking and
    the near-duplicate look-up with `link_events` events and `band_articles` articles'
    signatures stored (0: skip). `progress` is told each stage as it starts (the
    command line shows it on a terminal). With a Dask `runner` the flow also runs on
    Dask over the same pages, beside the local pool (both of `runner.workers`)."""
    runner = runner or RunnerChoice()
    if n < 1:
        raise EventpipeError("--n must be at least 1")
    if copies < 1:
        raise EventpipeError("--copies must be at least 1")
    if link_events < 0 or band_articles < 0:
        raise EventpipeError("--link-events and --band-articles must be 0 or more")

    def step(what: str) -> None:  # a terminal shows which stage is running
        if progress is not None:
            progress(what)

    pages = source_pages(corpus)
    label = str(corpus or DEFAULT_CORPUS) if pages else "generated news pages"
    report = BenchReport(pages=n, corpus=label, texts=text_count(n, copies), copies=copies)
    report.workers = runner.workers
    if n < MIN_MEANINGFUL_N:
        report.warnings.append(
            f"N = {n} is below {MIN_MEANINGFUL_N}: the flow's fixed costs dominate, so the"
            " flow and re-run ratios say little (use --n 1000)"
        )
    with tempfile.TemporaryDirectory(prefix="eventpipe-bench-") as tmp:
        scratch = Path(tmp)
        step(f"writing {n} pages")
        paths = write_corpus(n, scratch / "pages", pages, copies=copies)
        bench_coder(bench_clean(paths[:3])[1])  # imports and caches load outside the timings
        step("trafilatura alone")
        report.trafilatura_pages_s = bench_trafilatura(paths)
        step("load and clean")
        report.clean_pages_s, articles = bench_clean(paths)
        distinct = list({a.article_id: a for a in articles}.values())  # copies code once
        step("the event coder")
        report.coder_articles_s, coded = bench_coder(distinct)
        report.coder_dev_cases_s = bench_dev_cases()
        step("DuckDB load")
        report.store_rows_s = bench_store(coded, scratch)
        del articles, distinct, coded
        if long_mb > 0:
            step("a long article")
            mb, seconds = bench_long_article(long_mb)
            report.long_article_mb = round(mb, 2)
            report.long_article_s = round(seconds, 2)
            report.coder_s_per_mb = round(seconds / mb, 2)
        step("the ingest flow, then its re-run")
        local = RunnerChoice("local", None, runner.workers)
        first = run_flow_child(scratch / "pages", scratch / "flow.duckdb", 1, local)
        report.first_run_s = round(first["seconds"][0], 2)
        report.rerun_s = round(first["seconds"][1], 2)
        report.rerun_vs_first = round(report.rerun_s / report.first_run_s, 3)
        report.flow_pages_s = _rate(n, report.first_run_s)
        report.flow_vs_trafilatura = round(report.flow_pages_s / report.trafilatura_pages_s, 2)
        report.rss_mib_n = round(first["maxrss_kib"] / 1024, 1)
        report.tree_mib_n = round(first["tree_kib"] / 1024, 1)
        if runner.kind == "dask":
            step(f"the ingest flow on {runner.describe()}")
            on_dask = run_flow_child(scratch / "pages", scratch / "dask.duckdb", 0, runner)
            report.dask_runner = runner.describe()
            report.dask_pages_s = _rate(n, on_dask["seconds"][0])
            report.dask_vs_local = round(report.dask_pages_s / report.flow_pages_s, 2)
            if on_dask.get("cluster_start_s") is not None:
                report.dask_cluster_start_s = round(on_dask["cluster_start_s"], 2)
            if on_dask["articles"] != first["articles"]:
                report.warnings.append(
                    f"the Dask run stored {on_dask['articles']} articles, the local one"
                    f" {first['articles']}"
                )
        if rss_scale > 1:
            big = write_corpus(n * rss_scale, scratch / "pages-big", pages, 11, copies)
            del big
            step(f"the flow on {n * rss_scale} pages, for its memory")
            large = run_flow_child(scratch / "pages-big", scratch / "flow-big.duckdb", reruns=0)
            report.rss_mib_10n = round(large["maxrss_kib"] / 1024, 1)
            report.rss_10n_vs_n = round(report.rss_mib_10n / report.rss_mib_n, 2)
            report.tree_mib_10n = round(large["tree_kib"] / 1024, 1)
            report.tree_10n_vs_n = round(report.tree_mib_10n / report.tree_mib_n, 2)
        if link_events:
            step(f"linking {report.scale.link_batch} events into {link_events:,} stored ones")
            bench_linking(link_events, scratch, report.scale)
        if band_articles:
            step(f"near-duplicate look-ups among {band_articles:,} articles")
            bench_band_lookup(band_articles, scratch, report.scale)
    if first["articles"] < report.texts:
        missing = report.texts - first["articles"]
        report.notes.append(f"{missing} of {report.texts} texts gave no article text")
    elif first["articles"] > report.texts:
        report.notes.append(
            f"copies of one text extracted differently: {first['articles']} articles"
            f" from {report.texts} texts"
        )
    return report


def _verdict(value: float | None, target: float, at_most: bool = False) -> str:
    """`value` against its target, as printed beside the figure (no square brackets:
    the command line's console would read them as markup)."""
    if value is None:
        return ""
    met = value <= target if at_most else value >= target
    return f"   (target {'<=' if at_most else '>='} {target}: {'met' if met else 'MISSED'})"


def report_lines(report: BenchReport) -> Iterator[str]:
    """The report as the lines `eventpipe bench` prints."""
    r = report
    for warning in r.warnings:
        yield f"WARNING {warning}"
    yield (
        f"corpus: {r.pages} pages holding {r.texts} texts ({r.copies} byte-different copies"
        f" each) from {r.corpus}; {r.cores} cores"
    )
    yield f"limit   trafilatura alone, one process      {r.trafilatura_pages_s:>9} pages/s"
    yield (
        f"flow    ingest, pages from disk            {r.flow_pages_s:>9} pages/s"
        f"   = {r.flow_vs_trafilatura} x the limit{_verdict(r.flow_vs_trafilatura, FLOW_TARGET)}"
    )
    if r.dask_pages_s is not None:
        start = (
            f"; its start {r.dask_cluster_start_s} s apart"
            if r.dask_cluster_start_s is not None
            else ""
        )
        yield (
            f"dask    ingest, stages on Dask              {r.dask_pages_s:>9} pages/s"
            f"   = {r.dask_vs_local} x the local pool's ({r.flow_pages_s} pages/s);"
            f" {r.dask_runner}{start}"
        )
    yield f"stage   load + clean                        {r.clean_pages_s:>9} pages/s"
    yield (
        f"stage   event coder (one core)              {r.coder_articles_s:>9} articles/s"
        f"{_verdict(r.coder_articles_s, CODER_TARGET)}"
    )
    if r.coder_dev_cases_s is not None:
        yield f"stage   event coder on the dev cases        {r.coder_dev_cases_s:>9} articles/s"
    if r.long_article_mb:
        yield (
            f"stage   event coder, one long article       {r.coder_s_per_mb:>9} s per MB"
            f"   ({r.long_article_mb} MB in {r.long_article_s} s)"
        )
    yield f"stage   DuckDB load                         {r.store_rows_s:>9} rows/s"
    yield (
        f"re-run  over stored pages                 {r.rerun_s:>9} s"
        f"   = {r.rerun_vs_first} x the first run ({r.first_run_s} s)"
        f"{_verdict(r.rerun_vs_first, RERUN_TARGET, at_most=True)}"
    )
    big = "" if r.rss_mib_10n is None else f";  at 10 x N {r.rss_mib_10n} MiB"
    ratio = "" if r.rss_10n_vs_n is None else f"  = {r.rss_10n_vs_n} x"
    verdict = _verdict(r.rss_10n_vs_n, RSS_TARGET, at_most=True)
    yield f"memory  peak RSS of the flow at N {r.rss_mib_n} MiB{big}{ratio}{verdict}"
    big = "" if r.tree_mib_10n is None else f";  at 10 x N {r.tree_mib_10n} MiB"
    ratio = "" if r.tree_10n_vs_n is None else f"  = {r.tree_10n_vs_n} x"
    yield f"memory  the same with its workers and server {r.tree_mib_n} MiB{big}{ratio}"
    yield from scale_lines(r.scale)
    for note in r.notes:
        yield f"note    {note}"


def as_json(report: BenchReport) -> str:
    return json.dumps(asdict(report), indent=2)


if __name__ == "__main__":  # the child process of run_flow_child
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])

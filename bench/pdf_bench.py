"""Benchmark disclosures.pdf.render_pack on packs of 10, 100 and 500 items of ~2 KB text.

Usage:  .venv/bin/python bench/pdf_bench.py [--sizes 10 100 500]

Each size runs in a fresh child process so that peak RSS (resource.getrusage ru_maxrss, which
only ever grows) belongs to that size alone. Prints wall-clock and CPU seconds, pages, pages/s
(wall clock) and peak RSS. On a shared machine, CPU seconds are the steadier number.
Page counts come from poppler's `pdfinfo` when it is installed.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VOCABULARY = (
    "client session reported feeling anxious calmer week discussed work family sleep "
    "relationship goals breathing plan review support boundaries grief anger progress agreed "
    "next appointment homework noticed pattern trigger coping strategy reflected explored "
    "childhood partner manager friend mood low better worse difficult change"
)
WORDS = _VOCABULARY.split()


def note_text(rng: random.Random, size: int = 2048) -> str:
    """About ``size`` characters of note-like prose in short paragraphs."""
    parts: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18)))
        sentence = sentence.capitalize() + ". "
        if rng.random() < 0.2:
            sentence += "\n\n"
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[:size]


def build_pack(count: int):  # -> disclosures.pdf.Pack (imported lazily in the child)
    from disclosures.pdf import Pack, PackItem

    rng = random.Random(count)
    items = [
        PackItem(
            heading=f"Session note {i + 1}, {1 + i % 28} March 2026 (factual)",
            meta=[("Recorded by", "Sam Counsellor"), ("Session", "Individual, 50 minutes")],
            text=note_text(rng),
            label="Third-party information" if i % 10 == 0 else "",
        )
        for i in range(count)
    ]
    return Pack(
        reference="D-7KQ3XW",
        title="Disclosure of counselling records",
        recipient="Bristol Family Court",
        purpose="Response to a court order",
        basis="Court order (legal obligation)",
        client_reference="C-7KQ3",
        approvers=[
            ("Supervisor sign-off", "Alex Supervisor", "3 March 2026"),
            ("Service manager approval", "Pat Manager", "4 March 2026"),
        ],
        items=items,
        generated_at=datetime(2026, 3, 5, 14, 5, tzinfo=UTC),
    )


def page_count(pdf: bytes) -> int | None:
    if shutil.which("pdfinfo") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(
            ["pdfinfo", handle.name], capture_output=True, text=True, check=True
        ).stdout
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def run_one(count: int) -> dict[str, object]:
    """Child process: render one pack and report measurements as JSON."""
    sys.path.insert(0, str(ROOT))
    from disclosures.pdf import build_pack_html, render_pack

    pack = build_pack(count)
    text_kb = sum(len(item.text.encode()) for item in pack.items) / 1024
    html_kb = len(build_pack_html(pack).encode()) / 1024
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = render_pack(pack)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "items": count,
        "text_kb": round(text_kb),
        "html_kb": round(html_kb),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "pages": page_count(pdf),
        "pdf_kb": round(len(pdf) / 1024),
        "rss_before_mb": round(rss_before),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one)))
        return

    header = (
        f"{'items':>6} {'text KB':>8} {'HTML KB':>8} {'seconds':>8} {'CPU s':>6} {'pages':>6} "
        f"{'pages/s':>8} {'PDF KB':>7} {'RSS before':>11} {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    for count in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        pages = row["pages"] if row["pages"] is not None else "?"
        rate = f"{row['pages'] / row['seconds']:.1f}" if row["pages"] else "?"
        print(
            f"{row['items']:>6} {row['text_kb']:>8} {row['html_kb']:>8} {row['seconds']:>8.2f} "
            f"{row['cpu_seconds']:>6.2f} {pages:>6} {rate:>8} {row['pdf_kb']:>7} "
            f"{row['rss_before_mb']:>8} MB {row['peak_rss_mb']:>6} MB"
        )


if __name__ == "__main__":
    main()

"""Rebuild the search index from the database: `manage.py rebuild_search_index [--kind tender]`."""

import multiprocessing
import os
import time

from django.core.management.base import BaseCommand

from marketplace.management.commands._bench import Progress
from search import analysis
from search.backends import get_backend
from search.backends.database import entry_rows
from search.types import Kind


class Command(BaseCommand):
    help = (
        "Rebuild the search index (tenders, organisations, results) with a progress bar on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=Kind.ALL, action="append", help="only this kind")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="processes segmenting text with jieba (default: one per CPU)",
        )

    def handle(self, *, kind, processes, **options):
        kinds = tuple(kind or Kind.ALL)
        backend = get_backend()
        started = time.perf_counter()
        bars, written = {}, {}

        def progress(kind, done, total):
            if kind not in bars:
                bars[kind] = Progress(self.stderr, kind, total)
            bars[kind].update(done)
            written[kind] = bars[kind].elapsed

        if processes > 1:
            # jieba is pure Python: segmenting 100k tenders in one process takes most of a
            # minute; forked workers share the dictionary already loaded here.
            analysis.tokenizer()
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                counts = backend.rebuild(
                    kinds=kinds,
                    progress=progress,
                    segmenter=lambda batch: _Parallel(pool, batch, processes),
                )
        else:
            counts = backend.rebuild(kinds=kinds, progress=progress)
        for kind_name, count in counts.items():
            self.stdout.write(f"{kind_name}: {count:,} written in {written[kind_name]:.1f} s")
        # The database backend builds its indexes and swaps the table in after the writing.
        self.stdout.write(f"rebuilt in {time.perf_counter() - started:.1f} s")


class _Parallel:
    """A batch being segmented by the pool; get() waits for it."""

    def __init__(self, pool, batch, processes):
        size = max(1, len(batch) // (processes * 4))
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        self.result = pool.map_async(entry_rows, chunks)

    def get(self):
        return [pair for chunk in self.result.get() for pair in chunk]

"""Load test: seed PostgreSQL, serve the site with gunicorn, compare pages with a bare view.

    .venv/bin/python bench/load.py [--organisations 20000] [--tenders 100000] [--bids 300000]
                                   [--results 1000] [--requests 2000] [--concurrency 8]
                                   [--pages home,statistics,results,result]

Steps: create the database if missing, migrate, createcachetable, seed_bench, the result
pages (bench/portal.py), collectstatic (bench/seed.py); count queries per page (Django test
client, bench/probe.py); start gunicorn (2 workers, loopback only), then measure every URL
with the same bounded number of requests at a fixed concurrency, in rounds that interleave
the URLs (bench/loadgen.py). Prints a table with each page's ratios to the bare view and
writes it as JSON to bench/results/. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script (bench/load.py): make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen, seed
from bench.loadgen import HOST, ROOT, percentile

RESULTS = ROOT / "bench" / "results"
SETTINGS = "marketplace.settings.bench"
WARMUP_REQUESTS = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/zhengshe_bench"
    )
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--tenders", type=int, default=100_000)
    parser.add_argument("--bids", type=int, default=300_000)
    parser.add_argument(
        "--results",
        type=int,
        default=1_000,
        help="published result pages (项目成果) of completed bench contracts",
    )
    parser.add_argument("--requests", type=int, default=2_000, help="measured requests per URL")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="split each URL's requests into rounds, interleaving the URLs, so that a "
        "noisy neighbour slows all of them alike",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120,
        help="cap on each URL's total time over all rounds (slow pages); the table shows "
        "the requests actually made",
    )
    parser.add_argument(
        "--pages",
        default="",
        help="comma-separated page names to measure (with their _uncached twins and the "
        "bare view), e.g. home,statistics,results,result; default: all",
    )
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--reset", action="store_true", help="reseed bench rows from scratch")
    parser.add_argument(
        "--probe",
        action="store_true",
        help=argparse.SUPPRESS,  # internal: run inside Django, print URLs and query counts
    )
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.rounds) < 1:
        parser.error("--requests, --concurrency and --rounds must be at least 1")
    if min(args.organisations, args.buyers, args.tenders, args.bids, args.results) < 0:
        parser.error("counts must be at least 0")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def django_env(args, secret_key):
    """The `env` prefix that configures every Django process of the run."""
    return [
        "env",
        f"DJANGO_SETTINGS_MODULE={SETTINGS}",
        f"DATABASE_URL={args.database_url}",
        f"SECRET_KEY={secret_key}",
        "SECURE_SSL_REDIRECT=false",
        f"ALLOWED_HOSTS={HOST}",
        "LOG_LEVEL=WARNING",
    ]


def load_average():
    return [round(value, 2) for value in os.getloadavg()]


def run_probe(env, pages):
    """The probe's answer (bench/probe.py, in a Django process of the run)."""
    print("\n== probe (URLs, queries per page)", flush=True)
    probed = subprocess.run(
        [*env, sys.executable, "-m", "bench.probe", f"--pages={pages}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if probed.returncode:
        sys.exit(f"The probe failed:\n{probed.stderr}")
    found = json.loads(probed.stdout.strip().splitlines()[-1])
    for name, page in found["pages"].items():
        print(
            f"{name:<26} {page['url']:<40} HTTP {page['status']} {page['queries']:>3} queries "
            f"cache {page['cache']}"
        )
    return found


def run_load(args, env, pages, log_path):
    """Every page's samples, one per round, from gunicorn serving the run's settings."""
    gunicorn = [
        *env,
        sys.executable,
        "-m",
        "gunicorn",
        "marketplace.wsgi:application",
        f"--workers={args.workers}",
        f"--bind={HOST}:{args.port}",
    ]
    samples = {name: [] for name in pages}
    print(
        f"\n== load: {args.requests} requests per URL in {args.rounds} rounds, concurrency "
        f"{args.concurrency}, gunicorn {args.workers} workers on {HOST}:{args.port}",
        flush=True,
    )
    round_seconds = args.max_seconds / args.rounds
    with loadgen.Server(gunicorn, args.port, log_path):
        for page in pages.values():
            loadgen.warm_up(args.port, page["url"], page["cookie"], WARMUP_REQUESTS, round_seconds)
        for number in range(args.rounds):
            # Round n gets its share of the requests; the first rounds take any remainder.
            share = args.requests // args.rounds + (number < args.requests % args.rounds)
            for name, page in pages.items():
                sample = loadgen.measure(
                    args.port, page["url"], share, args.concurrency, round_seconds, page["cookie"]
                )
                samples[name].append(sample)
                print(
                    f"  round {number + 1}/{args.rounds} {name:<26} "
                    f"{len(sample['latencies']):>5} ok {sample['errors']:>3} errors "
                    f"p50 {percentile(sorted(sample['latencies']), 0.5) * 1000:7.1f} ms",
                    flush=True,
                )
    return samples


def _terminate(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main(argv=None):
    args = parse_args(argv)
    if args.probe:
        from bench import probe  # Django, set up by the module: only in the probe's process

        probe.main([f"--pages={args.pages}"])
        return
    # A plain `kill` should still stop gunicorn: turn SIGTERM into an exception `with` sees.
    signal.signal(signal.SIGTERM, _terminate)
    args.port = args.port or loadgen.free_port()
    secret_key = secrets.token_urlsafe(50)  # ≥ 50 characters, fresh for each run
    env = django_env(args, secret_key)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)

    seed_seconds = seed.prepare(args, env, sys.executable)
    found = run_probe(env, args.pages)
    pages = found["pages"]
    load_at_start = load_average()
    samples = run_load(args, env, pages, RESULTS / f"gunicorn-{stamp}.log")
    load_at_end = load_average()
    rows = [
        {
            "name": name,
            "url": page["url"],
            "queries": page["queries"],
            **loadgen.summarise(samples[name], args.requests),
        }
        for name, page in pages.items()
    ]
    loadgen.add_ratios(rows)

    print()
    loadgen.print_table(rows)
    print(f"bare p50 by round (noise check): {rows[0]['p50_ms_by_round']} ms")
    print(f"load average (1, 5, 15 min): {load_at_start} at the start, {load_at_end} at the end")
    report = {
        "started": stamp,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_start": load_at_start,
            "load_average_end": load_at_end,
        },
        "organisations": found["organisations"],
        "tenders": found["tenders"],
        "result_pages": found["results"],
        "seed_seconds": round(seed_seconds, 1),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "workers": args.workers,
        "pages": pages,
        "results": rows,
    }
    path = RESULTS / f"load-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nWrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

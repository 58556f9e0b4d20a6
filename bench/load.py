"""Load test: seed PostgreSQL, serve the site with gunicorn, compare pages with a bare view.

    .venv/bin/python bench/load.py [--organisations 20000] [--tenders 100000] [--bids 300000]
                                   [--requests 2000] [--concurrency 8]

Steps: create the database if missing, migrate, createcachetable, seed_bench, collectstatic,
count queries per page (Django test client), start gunicorn (2 workers, loopback only),
then measure every URL with the same bounded number of requests at a fixed concurrency,
in rounds that interleave the URLs. Prints a table with each page's ratios to the bare
view and writes it as JSON to bench/results/. See bench/README.md.
"""

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SETTINGS = "marketplace.settings.bench"
HOST = "127.0.0.1"
# A session cookie (that matches no session) keeps a request out of the anonymous whole-page
# cache (marketplace/pagecache.py): the "_uncached" pages show what a render costs.
UNCACHED_COOKIE = "sessionid=bench-uncached"
CACHED_PAGES = (
    "tenders",
    "tenders_city_open",
    "tender",
    "awards",
    "statistics",
    "home",
    "results",
    "result",
)
CITY_CODE = "320500"  # 苏州市: the district filter covers all its counties
WARMUP_REQUESTS = 20
START_TIMEOUT_SECONDS = 30


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/zhengshe_bench"
    )
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--tenders", type=int, default=100_000)
    parser.add_argument("--bids", type=int, default=300_000)
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


def ensure_database(url):
    """Create the database named in `url` if it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    with psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def step(title, command):
    print(f"\n== {title}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.perf_counter() - started


def probe():
    """Inside Django: the URLs to measure and how many queries each one makes."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cms.models import ResultPage
    from marketplace.models import Contract, Region
    from marketplace.selectors.organisations import organisation_list_public
    from marketplace.selectors.tenders import tender_list_public

    organisations = organisation_list_public()
    count = organisations.count()
    last_page = max(1, math.ceil(count / settings.PAGE_SIZE))
    city = Region.objects.get(code=CITY_CODE)
    profile = organisations[count // 2] if count else None
    tenders = tender_list_public()
    tender_count = tenders.count()
    # An awarded tender half-way down the list: the notice with the most to show (criteria,
    # versions, answers, the award section).
    awarded = tenders.filter(status="awarded")
    awarded_count = awarded.count()
    tender = awarded[awarded_count // 2] if awarded_count else None
    urls = {
        "bare": "/bench/bare/",
        "list": "/organisations/",
        "list_last_page": f"/organisations/?page={last_page}",
        "list_city": f"/organisations/?district={city.pk}",
    }
    if profile is not None:
        urls["profile"] = profile.get_absolute_url()
    # Field names of marketplace.forms.tenders_public.TenderFilterForm.
    urls["tenders"] = "/tenders/"
    urls["tenders_city_open"] = f"/tenders/?region={city.pk}&status=open&sort=deadline"
    if tender is not None:
        urls["tender"] = tender.get_absolute_url()
    urls["awards"] = "/awards/"
    urls["statistics"] = "/statistics/"  # every chart, all years
    # The portal (cms/): the home page, the results list and the newest published result.
    urls["home"] = "/"
    urls["results"] = "/results/"
    result = ResultPage.objects.live().order_by("-first_published_at").first()
    if result is not None:
        urls["result"] = result.url
    # A contract half-way down, with paid milestones and ledger entries, and its buyer's
    # profile (contracts let, payment punctuality).
    contracts = Contract.objects.order_by("pk")
    contract_count = contracts.count()
    if contract_count:
        contract = contracts.select_related("buyer")[contract_count // 2]
        urls["contract"] = reverse("contract_public", args=[contract.pk])
        urls["buyer"] = contract.buyer.get_absolute_url()
    for name in CACHED_PAGES:
        if name in urls:
            urls[f"{name}_uncached"] = urls[name]
    client = Client(HTTP_HOST=HOST)
    pages = {}
    for name, url in urls.items():
        cookie = UNCACHED_COOKIE if name.endswith("_uncached") else ""
        client.get(url, HTTP_COOKIE=cookie)  # fills per-process caches (ContentTypes, templates)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, HTTP_COOKIE=cookie)
        pages[name] = {
            "url": url,
            "cookie": cookie,
            "status": response.status_code,
            "queries": len(queries),
            "bytes": len(response.content),
            "slowest_query_ms": max(
                (round(float(query["time"]) * 1000, 2) for query in queries.captured_queries),
                default=0,
            ),
        }
    print(json.dumps({"organisations": count, "tenders": tender_count, "pages": pages}))


class Server:
    """gunicorn on loopback; a context manager that always stops it."""

    def __init__(self, command, port, log_path):
        self.command, self.port, self.log_path = command, port, log_path
        self.process = None

    def __enter__(self):
        if answers(self.port):
            raise SystemExit(f"Something already listens on {HOST}:{self.port}; pick --port.")
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_until_it_answers()
        except BaseException:
            self.__exit__(None, None, None)  # `with` calls __exit__ only once __enter__ returned
            raise
        return self

    def _wait_until_it_answers(self):
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited early; see {self.log_path}")
            if answers(self.port, "/bench/bare/"):
                return
            time.sleep(0.2)
        raise SystemExit(
            f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s; see {self.log_path}"
        )

    def __exit__(self, *exc_info):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM to the master (our child): graceful shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def free_port():
    with socket.socket() as probe_socket:
        probe_socket.bind((HOST, 0))
        return probe_socket.getsockname()[1]


def answers(port, path="/", cookie=""):
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(port, path, requests, concurrency, max_seconds, cookie=""):
    """GET `path` `requests` times from `concurrency` threads, each with its own connection,
    stopping early once `max_seconds` have passed.

    http.client reconnects by itself when the server closes the connection (gunicorn's
    sync workers answer with Connection: close), so the cost of a TCP connect is included.
    """
    headers = {"Cookie": cookie} if cookie else {}
    lock = threading.Lock()
    remaining = [requests]
    latencies, errors = [], [0]
    stop = threading.Event()

    def worker():
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, failed = [], 0
        while not stop.is_set() and time.perf_counter() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + max_seconds
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()  # on Ctrl-C the threads finish their current request and leave
    return {"latencies": latencies, "errors": errors[0], "seconds": time.perf_counter() - started}


def summarise(samples, wanted):
    """Percentiles over all rounds' latencies; throughput over all rounds' wall time."""
    latencies = sorted(latency for sample in samples for latency in sample["latencies"])
    errors = sum(sample["errors"] for sample in samples)
    seconds = sum(sample["seconds"] for sample in samples)
    done = len(latencies) + errors
    return {
        "requests": done,
        "stopped_early": done < wanted,
        "errors": errors,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "throughput_rps": len(latencies) / seconds if seconds else math.nan,
        "seconds": seconds,
        "p50_ms_by_round": [
            round(percentile(sorted(sample["latencies"]), 0.50) * 1000, 1) for sample in samples
        ],
    }


def ratio(value, baseline):
    return value / baseline if baseline and not math.isnan(baseline) else math.nan


def print_table(rows):
    header = (
        f"{'page':<17} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'p50 ×bare':>9} {'p95 ×bare':>9} {'req/s ×bare':>11} {'queries':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['name']:<17} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8.1f} "
            f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['throughput_rps']:>8.1f} "
            f"{row['p50_ratio']:>9.2f} {row['p95_ratio']:>9.2f} {row['throughput_ratio']:>11.3f} "
            f"{row['queries']:>7}"
        )


def _terminate(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main(argv=None):
    args = parse_args(argv)
    if args.probe:
        probe()
        return
    # A plain `kill` should still stop gunicorn: turn SIGTERM into an exception `with` sees.
    signal.signal(signal.SIGTERM, _terminate)
    args.port = args.port or free_port()
    secret_key = secrets.token_urlsafe(50)  # ≥ 50 characters, fresh for each run
    env = django_env(args, secret_key)
    manage = [*env, sys.executable, "manage.py"]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)

    ensure_database(args.database_url)
    step("migrate", [*manage, "migrate", "--no-input", "-v0"])
    step("createcachetable", [*manage, "createcachetable"])
    seed = [*manage, "seed_bench", f"--organisations={args.organisations}"]
    seed += [f"--buyers={args.buyers}", f"--tenders={args.tenders}", f"--bids={args.bids}"]
    seed += ["--reset"] if args.reset else []
    seed_seconds = step("seed_bench", seed)
    step("collectstatic", [*manage, "collectstatic", "--no-input", "-v0"])

    print("\n== probe (URLs, queries per page)", flush=True)
    probed = subprocess.run(
        [*env, sys.executable, "-m", "bench.load", "--probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if probed.returncode:
        sys.exit(f"The probe failed:\n{probed.stderr}")
    found = json.loads(probed.stdout.strip().splitlines()[-1])
    pages = found["pages"]
    for name, page in pages.items():
        print(f"{name:<17} {page['url']:<40} HTTP {page['status']} {page['queries']} queries")

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
    with Server(gunicorn, args.port, RESULTS / f"gunicorn-{stamp}.log"):
        for page in pages.values():
            for _ in range(WARMUP_REQUESTS):
                answers(args.port, page["url"], page["cookie"])
        for number in range(args.rounds):
            # Round n gets its share of the requests; the first rounds take any remainder.
            share = args.requests // args.rounds + (number < args.requests % args.rounds)
            for name, page in pages.items():
                sample = measure(
                    args.port,
                    page["url"],
                    share,
                    args.concurrency,
                    args.max_seconds / args.rounds,
                    page["cookie"],
                )
                samples[name].append(sample)
                print(
                    f"  round {number + 1}/{args.rounds} {name:<17} "
                    f"{len(sample['latencies']):>5} ok {sample['errors']:>3} errors "
                    f"p50 {percentile(sorted(sample['latencies']), 0.5) * 1000:7.1f} ms",
                    flush=True,
                )
    rows = [
        {
            "name": name,
            "url": page["url"],
            "queries": page["queries"],
            **summarise(samples[name], args.requests),
        }
        for name, page in pages.items()
    ]
    bare = rows[0]
    for row in rows:
        row["p50_ratio"] = ratio(row["p50_ms"], bare["p50_ms"])
        row["p95_ratio"] = ratio(row["p95_ms"], bare["p95_ms"])
        row["throughput_ratio"] = ratio(row["throughput_rps"], bare["throughput_rps"])

    print()
    print_table(rows)
    print(f"bare p50 by round (noise check): {bare['p50_ms_by_round']} ms")
    report = {
        "started": stamp,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "organisations": found["organisations"],
        "tenders": found["tenders"],
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

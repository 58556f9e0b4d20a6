"""The load side of bench/load.py: gunicorn as a context manager, a fixed-concurrency HTTP
client, and the figures (percentiles, ratios to the bare view, the table). No Django."""

import http.client
import math
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30
# marketplace/pagecache.py marks what it served from the whole-page cache.
HIT_HEADER = "X-Page-Cache"


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


def answers(port, path="/", cookie="", timeout=2):
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status < 500
    except OSError:
        return False
    finally:
        connection.close()


def warm_up(port, path, cookie, requests, max_seconds):
    """`requests` sequential GETs, or fewer once `max_seconds` have passed (a page that takes
    seconds to render must not spend minutes warming up), each awaited to the end."""
    deadline = time.perf_counter() + max_seconds
    for _ in range(requests):
        answers(port, path, cookie, timeout=60)
        if time.perf_counter() > deadline:
            break


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(port, path, requests, concurrency, max_seconds, cookie=""):
    """GET `path` `requests` times from `concurrency` threads, each with its own connection,
    stopping early once `max_seconds` have passed; also counts the page-cache hits.

    http.client reconnects by itself when the server closes the connection (gunicorn's
    sync workers answer with Connection: close), so the cost of a TCP connect is included.
    """
    headers = {"Cookie": cookie} if cookie else {}
    lock = threading.Lock()
    remaining = [requests]
    latencies, errors, hits = [], [0], [0]
    stop = threading.Event()

    def worker():
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, failed, hit = [], 0, 0
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
                hit += response.getheader(HIT_HEADER) == "hit"
            else:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            hits[0] += hit

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
    return {
        "latencies": latencies,
        "errors": errors[0],
        "hits": hits[0],
        "seconds": time.perf_counter() - started,
    }


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
        "cache_hits": sum(sample["hits"] for sample in samples),
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


def add_ratios(rows):
    """Each row's p50, p95 and throughput divided by the first row's (the bare view)."""
    bare = rows[0]
    for row in rows:
        row["p50_ratio"] = ratio(row["p50_ms"], bare["p50_ms"])
        row["p95_ratio"] = ratio(row["p95_ms"], bare["p95_ms"])
        row["throughput_ratio"] = ratio(row["throughput_rps"], bare["throughput_rps"])


def print_table(rows):
    header = (
        f"{'page':<17} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'p50 ×bare':>9} {'p95 ×bare':>9} {'req/s ×bare':>11} {'queries':>7} "
        f"{'hits':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ok = row["requests"] - row["errors"]
        hits = f"{100 * row['cache_hits'] / ok:.0f}%" if ok else "-"
        print(
            f"{row['name']:<17} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8.1f} "
            f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['throughput_rps']:>8.1f} "
            f"{row['p50_ratio']:>9.2f} {row['p95_ratio']:>9.2f} {row['throughput_ratio']:>11.3f} "
            f"{row['queries']:>7} {hits:>5}"
        )

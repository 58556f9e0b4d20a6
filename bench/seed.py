"""The data side of bench/load.py: create the database if missing, migrate, seed it and
collect the static files, each step a Django process of its own with the run's settings.

`manage.py seed_bench` makes the marketplace rows (organisations, buyers, tenders, bids,
awards, contracts, payments); `python -m bench.portal` then completes some of the bench
contracts and publishes their result pages (项目成果). Both top up what is missing; with
--reset the portal rows go first, since they protect the contracts seed_bench deletes.
"""

import subprocess
import time
from urllib.parse import unquote, urlsplit

from bench.loadgen import HOST, ROOT


def ensure_database(url):
    """Create the database named in `url` if it does not exist yet."""
    import psycopg  # the venv's driver; imported here so that --help works without it
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
    """Run one step in ROOT, stop the run if it fails; its seconds."""
    print(f"\n== {title}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.perf_counter() - started


def prepare(args, env, python):
    """Database, schema, bench data and static files for the run; the seconds seeding took."""
    manage = [*env, python, "manage.py"]
    portal = [*env, python, "-m", "bench.portal"]
    ensure_database(args.database_url)
    step("migrate", [*manage, "migrate", "--no-input", "-v0"])
    step("createcachetable", [*manage, "createcachetable"])
    seconds = 0.0
    if args.reset:
        seconds += step("portal: delete the bench result pages", [*portal, "--delete"])
    seed = [*manage, "seed_bench", f"--organisations={args.organisations}"]
    seed += [f"--buyers={args.buyers}", f"--tenders={args.tenders}", f"--bids={args.bids}"]
    seed += ["--reset"] if args.reset else []
    seconds += step("seed_bench", seed)
    seconds += step("portal: result pages", [*portal, f"--results={args.results}"])
    step("collectstatic", [*manage, "collectstatic", "--no-input", "-v0"])
    return seconds

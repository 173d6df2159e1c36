"""A directory import's cost at the sizes HR systems export, on PostgreSQL.

    .venv/bin/python bench/directory_import.py [--rows 20000 50000]

For each size, in a fresh database: the file is handed to the worker's job
(``directory_import_request`` then ``directory_import_run``, what the Celery task runs)
three times — everyone new, everyone again unchanged, everyone's title changed — and
each run's wall seconds are printed beside the CPU seconds this process and its
PostgreSQL backend spent. The upload itself only stores the file (``upload_ms``): the
page answers at once whatever the size, where it once ran the import inside the request
(20,000 rows took 32 s, past gunicorn's 30 s timeout). The last line is JSON: for each
size, rows, upload_ms, new_s, new_cpu_s, new_db_cpu_s, unchanged_s (and _cpu_s,
_db_cpu_s), changed_s (and _cpu_s, _db_cpu_s), and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_environment, log, manage

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def company(n: int, title: str) -> bytes:
    lines = ["employee_id,email,name,department,level,manager_email,location,time_zone,title,roles"]
    for i in range(n):
        manager = "" if i == 0 else f"p{(i - 1) // 10}@example.com"
        role = "Executive" if i % 10 == 0 else "Front-line employee"
        lines.append(
            f"E{i},p{i}@example.com,Person {i},Dept {i % 40},IC,{manager},"
            f"Toronto,America/Toronto,{title},{role}"
        )
    return ("\n".join(lines) + "\n").encode()


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure(n: int) -> dict:
    with bench_environment(f"import{n}") as env:
        manage(env, "migrate", "--noinput")
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from rotations.directory.services import directory_import_request, directory_import_run
        from rotations.models import Person

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        hr = Person.objects.create_user("hr@example.com", None, full_name="Hana HR")
        out: dict = {"rows": n}
        for label, title in (("new", "Agent"), ("unchanged", "Agent"), ("changed", "Senior agent")):
            data = company(n, title)
            started = time.perf_counter()
            job = directory_import_request(data=data, filename="people.csv", by=hr)
            if label == "new":
                out["upload_ms"] = round((time.perf_counter() - started) * 1000, 1)
            wall, cpu, db = time.perf_counter(), time.process_time(), _cpu_of(backend)
            job = directory_import_run(job_id=job.pk)
            out[f"{label}_s"] = round(time.perf_counter() - wall, 2)
            out[f"{label}_cpu_s"] = round(time.process_time() - cpu, 2)
            out[f"{label}_db_cpu_s"] = round(_cpu_of(backend) - db, 2)
            assert job is not None and job.status == "done", job and job.errors[:3]
            log(f"{n} rows {label}: {out[f'{label}_s']} s", job.created, job.updated, job.unchanged)
        connection.close()
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[20000, 50000])
    args = parser.parse_args()
    results = []
    for n in args.rows:
        # Each size in its own process: Django is set up once per process.
        import subprocess

        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=False
        )
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            raise SystemExit(done.returncode)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({"sizes": results, "load_average": os.getloadavg()}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main()

#!/usr/bin/env python3
"""Independent check of a finkit-pool Parquet export with DuckDB and pyarrow.

Reads the export written by
    cargo run --release -p finkit-pool --features parquet --example parquet_export -- OUT_DIR
(OUT_DIR/full, OUT_DIR/research and OUT_DIR/expected.json) and compares row counts and
aggregates computed by DuckDB (hive partitions) and by pyarrow.dataset with the numbers the
pool itself reported in expected.json. Exits 1 on any mismatch.

Setup (a local venv under target/):
    python3 -m venv target/parquet-venv
    target/parquet-venv/bin/pip install duckdb pyarrow
    target/parquet-venv/bin/python scripts/check_parquet.py OUT_DIR
"""
import json
import math
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq

REL_TOL = 1e-12  # sums of up to ~1e6 doubles in a different order: relative 1e-12 is ample

failures = []


def check(name, got, want, rel=0.0):
    ok = (
        math.isclose(got, want, rel_tol=rel, abs_tol=0.0)
        if isinstance(want, float) or rel
        else got == want
    )
    print(f"{'ok  ' if ok else 'FAIL'} {name}: parquet={got!r} pool={want!r}")
    if not ok:
        failures.append(name)


def main(out: Path) -> int:
    expected = json.loads((out / "expected.json").read_text())
    full, research = out / "full", out / "research"
    exp = expected["full"]
    con = duckdb.connect()

    def scan(table):
        files = full / table
        if any(files.glob("period=*")):
            return f"read_parquet('{files}/*/*.parquet', hive_partitioning = true)"
        return f"read_parquet('{files}/*.parquet')"

    print("== DuckDB", duckdb.__version__)
    for table, rows in exp["rows"].items():
        (n,) = con.execute(f"SELECT count(*) FROM {scan(table)}").fetchone()
        check(f"duckdb rows {table}", n, rows)
    per_period = dict(
        con.execute(
            f"SELECT CAST(period AS VARCHAR), count(*) FROM {scan('statements')} GROUP BY period"
        ).fetchall()
    )
    check("duckdb statements per period (hive column)", per_period, exp["statements_per_period"])
    (bad,) = con.execute(
        f"SELECT count(*) FROM {scan('statements')} WHERE year(period_end) <> period"
    ).fetchone()
    check("duckdb rows in the wrong partition", bad, 0)
    ta, rev, firms = con.execute(
        f"SELECT sum(total_assets), sum(revenue), count(DISTINCT firm_id) FROM {scan('statements')}"
    ).fetchone()
    check("duckdb sum(total_assets)", ta, exp["sum_total_assets"], REL_TOL)
    check("duckdb sum(revenue)", rev, exp["sum_revenue"], REL_TOL)
    check("duckdb distinct statement firms", firms, exp["distinct_statement_firms"])
    ead, wpd = con.execute(
        f"SELECT sum(ead), sum(ead * pd) / sum(ead) FROM {scan('exposures')}"
    ).fetchone()
    check("duckdb sum(ead)", ead, exp["sum_ead"], REL_TOL)
    check("duckdb EAD-weighted PD", wpd, exp["ead_weighted_pd"], REL_TOL)
    (cert,) = con.execute(
        f"SELECT count(*) FROM {scan('firms')} WHERE high_tech_certified"
    ).fetchone()
    check("duckdb certified firms", cert, exp["high_tech_certified_firms"])
    # Point in time in SQL: the latest period of each firm among versions available on a date.
    (latest,) = con.execute(
        f"""
        WITH known AS (
          SELECT * FROM {scan('statements')} WHERE available_at <= DATE '{exp['latest_statements_as_of']}'
        ), ranked AS (
          SELECT firm_id, row_number() OVER (PARTITION BY firm_id ORDER BY period_end DESC, available_at DESC) AS r
          FROM known
        )
        SELECT count(*) FROM ranked WHERE r = 1
        """
    ).fetchone()
    check("duckdb latest statement per firm as of", latest, exp["latest_statement_count"])

    print("== pyarrow", ds.__name__)
    st = ds.dataset(full / "statements", format="parquet", partitioning="hive")
    check("pyarrow rows statements", st.count_rows(), exp["rows"]["statements"])
    tbl = st.to_table(columns=["total_assets", "period_end"])
    check(
        "pyarrow sum(total_assets)",
        float(sum(tbl.column("total_assets").to_pylist())),
        exp["sum_total_assets"],
        REL_TOL,
    )
    schema = st.schema
    check("pyarrow period_end type", str(schema.field("period_end").type), "date32[day]")
    check("pyarrow total_assets type", str(schema.field("total_assets").type), "double")
    meta = pq.read_metadata(full / "firms" / "part-00000.parquet").metadata or {}
    check("pyarrow file metadata schema version", meta.get(b"finkit.export_schema_version"), b"1")

    print("== research export (pseudonymised, masked)")
    rexp = expected["research"]
    rcon = duckdb.connect()
    for table, rows in rexp["rows"].items():
        if rows == 0:
            # An empty table is an empty directory (no file), as the module docs say.
            check(f"research {table} empty: no files", list((research / table).rglob("*.parquet")), [])
            continue
        pattern = (
            f"'{research / table}/*/*.parquet', hive_partitioning = true"
            if any((research / table).glob("period=*"))
            else f"'{research / table}/*.parquet'"
        )
        (n,) = rcon.execute(f"SELECT count(*) FROM read_parquet({pattern})").fetchone()
        check(f"duckdb research rows {table}", n, rows)
    ids = {r[0] for r in rcon.execute(f"SELECT id FROM read_parquet('{research}/firms/*.parquet')").fetchall()}
    regs = {
        r[0]
        for r in rcon.execute(
            f"SELECT DISTINCT registration_number FROM read_parquet('{research}/firms/*.parquet')"
        ).fetchall()
    }
    check("no real firm id in research firms", len(ids & set(rexp["real_firm_ids_sample"])), 0)
    check("every id is a pseudonym", all(i.startswith("P-") and len(i) == 34 for i in ids), True)
    check("registration numbers masked", regs, {"***"})
    manifest = json.loads((research / "_finkit_export.json").read_text())
    check("manifest pseudonymised", manifest["pseudonymised"], True)
    check("manifest sensitive_fields", manifest["sensitive_fields"], "masked")

    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))

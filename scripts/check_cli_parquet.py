#!/usr/bin/env python3
"""The finkit CLI reads Parquet written by an independent engine (pyarrow) as it reads CSV.

Writes Parquet copies of the bundled CSV files with pyarrow (data/germancredit.csv with its
types inferred by pyarrow's CSV reader, and data/credit_portfolio.csv with dictionary-encoded
text columns), runs the same `finkit credit bin` and `finkit risk portfolio` commands on the
CSV and on the Parquet file, and requires identical JSON output. Exits 1 on any difference.

    python3 scripts/check_cli_parquet.py target/debug/finkit   # built with --features parquet
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def run(finkit, args):
    out = subprocess.run([finkit, *args, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL finkit {' '.join(args)}: exit {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main(finkit):
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        german_csv = ROOT / "data/germancredit.csv"
        german_pq = tmp / "germancredit.parquet"
        pq.write_table(pacsv.read_csv(german_csv), german_pq)
        portfolio_csv = ROOT / "data/credit_portfolio.csv"
        portfolio_pq = tmp / "credit_portfolio.parquet"
        table = pacsv.read_csv(
            portfolio_csv,
            convert_options=pacsv.ConvertOptions(
                column_types={"grade": pa.string(), "obligor_id": pa.string(), "sector": pa.string()}
            ),
        )
        table = table.set_column(1, "sector", table.column("sector").dictionary_encode())
        pq.write_table(table, portfolio_pq)
        print("pyarrow", pa.__version__, "wrote", german_pq.name, "and", portfolio_pq.name)

        for name, csv_args, pq_args in [
            (
                "credit bin",
                ["credit", "bin", "--csv", str(german_csv), "--target", "bad"],
                ["credit", "bin", "--csv", str(german_pq), "--target", "bad"],
            ),
            (
                "risk portfolio",
                ["risk", "portfolio", "--exposures", str(portfolio_csv), "--scenarios", "2000", "--seed", "1"],
                ["risk", "portfolio", "--exposures", str(portfolio_pq), "--scenarios", "2000", "--seed", "1"],
            ),
        ]:
            a, b = run(finkit, csv_args), run(finkit, pq_args)
            ok = a == b
            print(f"{'ok  ' if ok else 'FAIL'} {name}: Parquet (pyarrow) output equals CSV output")
            if not ok:
                failures.append(name)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))

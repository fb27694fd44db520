"""Prints anchor time / finkit time for each row, reading criterion's medians.

Usage: ratios.py CRITERION_DIR GROUP PYTHON_JSON ROWS_JSON
ROWS_JSON is a list of [label, python_key, criterion_bench_name, target_ratio].
Shared by benches/compare/*.sh so the ratio rule is written once.
"""
import json
import os
import sys

crit, group, py, rows = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), json.loads(sys.argv[4])


def finkit(name):
    path = os.path.join(crit, group, name, "new", "estimates.json")
    return json.load(open(path))["median"]["point_estimate"] * 1e-9


print("== ratios (anchor time / finkit time; target in brackets)")
for label, pk, fk, target in rows:
    if pk not in py:
        print(f"  {label:<34} anchor not measured (see above)")
        continue
    f = finkit(fk)
    ratio = py[pk] / f
    flag = "ok" if ratio >= target else "BELOW TARGET"
    print(f"  {label:<34} anchor {py[pk] * 1e3:9.3f} ms  finkit {f * 1e3:9.3f} ms  ratio {ratio:6.1f}x  [>= {target}x] {flag}")

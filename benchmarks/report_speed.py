"""Time and size of the HTML report for the Chinchilla fit with 1000 bootstrap draws.

The issue's target: ``scalinglaws report`` on a fit of ``chinchilla_epoch_svg`` (240 runs,
the Chinchilla law, 1000 bootstrap refits) writes one self-contained page in under 10 s and
under 5 MB. This script

1. fits the data exactly as ``scalinglaws fit ../shared/datasets/chinchilla_epoch_svg
   --law chinchilla --bootstrap 1000 --seed 0 -o fit.json`` does, with the real command;
2. runs ``scalinglaws report fit.json -o report.html`` (the real entry point, a fresh
   process: start-up, reading the fit, computing every chart, embedding plotly.js, writing)
   ``--repeats`` times and prints the median and the slowest wall time;
3. times :func:`scalinglaws.report.build_report` alone in this process;
4. prints the size of the page, split into plotly.js and everything else.

Run from the repository root::

    .venv/bin/python benchmarks/report_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets" / "chinchilla_epoch_svg"
CLI = Path(sys.executable).parent / "scalinglaws"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if not (DATA / "dataset.toml").is_file():
        sys.exit(f"error: dataset not found at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        fit = Path(tmp) / "fit.json"
        t0 = time.perf_counter()
        subprocess.run([str(CLI), "fit", str(DATA), "--law", "chinchilla", "--bootstrap", "1000",
                        "--seed", "0", "-o", str(fit), "-q"], check=True, capture_output=True)
        print(f"fit (scalinglaws fit ... --bootstrap 1000): {time.perf_counter() - t0:.2f} s, "
              f"FIT.json {fit.stat().st_size / 1e3:.0f} kB")
        out = Path(tmp) / "report.html"
        walls = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            subprocess.run([str(CLI), "report", str(fit), "-o", str(out), "--force", "-q"],
                           check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
        size = out.stat().st_size
        print(f"scalinglaws report fit.json -o report.html: median {statistics.median(walls):.2f} s,"
              f" slowest {max(walls):.2f} s over {args.repeats} runs (a fresh process each)")

        from plotly.offline import get_plotlyjs

        from scalinglaws.fit import FitResult
        from scalinglaws.report import build_report

        res = FitResult.from_dict(json.loads(fit.read_text()))
        build_report(res)  # warm-up (imports, plotly.js read)
        t0 = time.perf_counter()
        page = build_report(res)
        build = time.perf_counter() - t0
        js = len(get_plotlyjs().encode())
        print(f"build_report() in this process: {build:.2f} s")
        print(f"report size: {size:,} bytes ({size / 1e6:.2f} MB, {size / 2**20:.2f} MiB): "
              f"plotly.js {js:,} + charts, data and tables {size - js:,}")
        print(f"draws in the fit: {len(res.draws)}; runs: {res.n}; target: < 10 s and < 5 MB: "
              f"{'met' if max(walls) < 10 and size < 5_000_000 else 'NOT met'}")
        assert len(page.encode()) == size


if __name__ == "__main__":
    main()

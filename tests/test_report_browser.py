"""The HTML report: built from real fits, opened in headless Chromium with the network cut off.

Chromium is Debian's ``chromium`` package at /usr/bin/chromium, driven by Playwright's Python
client (never Playwright's own browser download); ``bash scripts/setup-browser.sh`` installs it.
The browser test fails, never skips, when the browser is missing.
"""

from __future__ import annotations

import html
import io
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.cli._common import dumps
from scalinglaws.report import build_report

from conftest import run_cli, shared_dataset_path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# ---------------------------------------------------------------------------------------------
# inputs: a real fit, a real bench comparison, a real plan


@pytest.fixture(scope="module")
def bench_record():
    """Two laws fitted on the published train split of the data-constrained runs (Muennighoff
    et al. 2023, via SLDBench) and scored on its test split, in the bench record's schema."""
    path = shared_dataset_path("sldbench_data_constrained")
    results = []
    for name, cols in (("data_constrained", {"N": "params", "D": "tokens", "U": "unique_tokens"}),
                       ("chinchilla", {"N": "params", "D": "tokens"})):
        law = sl.get_law(name)
        data = sl.load_dataset(path, law_inputs=law.inputs, user_inputs=cols,
                               positive=[*law.inputs, "y"], law_name=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sl.FitWarning)
            res = sl.Fitter(seed=0, n_starts=256).fit(law, data.train())
        test = data.test()
        pred = res.predict(dict(test.X))["prediction"]
        y = np.asarray(test.y)
        mse = float(np.mean((pred - y) ** 2))
        results.append({
            "dataset": "sldbench_data_constrained", "law": name, "target": "loss",
            "status": "ok", "reason": None, "r2": 1 - mse / float(np.var(y)),
            "nmse": mse / float(np.var(y)), "are": float(np.mean(np.abs(pred - y) / y)),
            "params": res.params, "an_extra_key": {"ignored": True}})
        # both ways a record may carry its test predictions ('scalinglaws bench --predictions'
        # writes 'predictions' with the row of each)
        if name == "data_constrained":
            results[-1]["predictions"] = [{"row": int(r), "group": None, "y": float(a),
                                           "prediction": float(b)}
                                          for r, a, b in zip(test.rows, y, pred)]
        else:
            results[-1]["test_points"] = [{"y": float(a), "prediction": float(b)}
                                          for a, b in zip(y, pred)]
    return {"results": results, "best": {"sldbench_data_constrained": "data_constrained"}}


@pytest.fixture(scope="module")
def plan_record(chinchilla_bootstrap):
    from scalinglaws.plan import compute_optimal

    return compute_optimal(chinchilla_bootstrap, 5.76e23).to_dict()


@pytest.fixture(scope="module")
def report_file(chinchilla_bootstrap, bench_record, plan_record, tmp_path_factory):
    page = build_report(chinchilla_bootstrap, bench=bench_record, plan=plan_record)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# the page itself (no browser)


def test_report_is_self_contained_and_small(chinchilla_bootstrap, report_file):
    text = report_file.read_text(encoding="utf-8")
    # nothing to fetch: no external scripts, styles, images or frames
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=", text, re.I)
    # plotly.js is inline (its bundle names map-tile servers for map charts, never used here);
    # the page's own markup, style, script and data name no address at all
    start = text.index("<script>")
    end = text.index("</script>", start)
    assert "plotly.js v" in text[start:start + 200]
    assert not re.search(r"https?://", text[:start] + text[end:])
    # every draw is summarised: the 1000-draw fit stays under 5 MB
    assert len(text.encode("utf-8")) < 5_000_000
    # the numbers a reader needs are on the page
    for name, (lo, hi) in chinchilla_bootstrap.ci().items():
        assert f"{lo:.4g}" in text and f"{hi:.4g}" in text, name
    assert chinchilla_bootstrap.provenance["data_hash"] in text
    for w in chinchilla_bootstrap.warnings:
        assert html.escape(w) in text


def test_report_is_reproducible(chinchilla_bootstrap, bench_record, plan_record, report_file):
    again = build_report(chinchilla_bootstrap, bench=bench_record, plan=plan_record)
    assert again == report_file.read_text(encoding="utf-8")


def test_report_without_a_usable_default_target(tmp_path):
    """Inputs with zeros (proportions) have no log-spaced path: the page says so, and still has
    every other chart; an explicit target that cannot be used is an error."""
    law = sl.formula_law("c + k*exp(t*r)", ["r"])
    r = np.linspace(0, 1, 11)
    df = sl.simulate(law, {"c": 2.0, "k": 1.0, "t": -3.0}, {"r": r}, noise=0.01, seed=1)
    data = sl.make_dataset(df, {"r": "r"}, "loss", positive=["loss"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        res = sl.Fitter(seed=0).fit(law, data)
    page = build_report(res)
    assert "No extrapolation: input r has runs at r=0" in page
    assert 'id="fig-fit"' in page and 'id="fig-extrapolation"' not in page
    assert "Not shown: law" in page  # no IsoFLOPs for a law of one proportion
    with pytest.raises(sl.InputError, match="needs positive values"):
        build_report(res, at={"r": 2.0})


def test_report_verb(chinchilla_bootstrap, tmp_path):
    fit = tmp_path / "fit.json"
    fit.write_text(dumps(chinchilla_bootstrap.to_dict()))
    out = tmp_path / "report.html"
    r = run_cli("report", fit, "-o", out, "--at", "N=7e10,D=1.4e12")
    assert r.returncode == 0, r.stderr
    # stderr is not a terminal here: no progress, one line saying where the report is
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert str(out) in r.stderr and r.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "N = 7e+10, D = 1.4e+12" in text
    before = out.read_bytes()
    for args, msg in (((fit, "-o", out), "exists; pass --force"),
                      ((fit, "--bench", tmp_path / "none.json", "-o", tmp_path / "b.html"),
                       "bench file")):
        r = run_cli("report", *args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr
    assert out.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# the page in a browser, offline


def _launch(playwright):
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the report test needs Debian's chromium "
                    "package; install it with 'bash scripts/setup-browser.sh' (the README's test "
                    "command runs it)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser_page(report_file):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the report test needs Playwright's Python client: pip install -e '.[test]'")
    with sync_playwright() as p:
        browser = _launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        log = {"requests": [], "blocked": [], "console_errors": [], "page_errors": []}

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:  # anything leaving the machine is refused, and recorded
                log["blocked"].append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda req: log["requests"].append(req.url))
        page.on("console", lambda m: m.type == "error" and log["console_errors"].append(m.text))
        page.on("pageerror", lambda e: log["page_errors"].append(str(e)))
        page.goto(report_file.as_uri())
        page.wait_for_function("window.SCALINGLAWS_REPORT !== undefined", timeout=30_000)
        yield page, log
        context.close()
        browser.close()


def test_browser_fetches_nothing_and_logs_no_errors(browser_page, report_file):
    page, log = browser_page
    assert log["requests"] == [report_file.as_uri()]
    assert log["blocked"] == []
    assert log["console_errors"] == [] and log["page_errors"] == []


def test_browser_renders_every_chart_with_points(browser_page, chinchilla_bootstrap):
    page, _ = browser_page
    charts = page.evaluate("""() => Array.from(document.querySelectorAll('.plot')).map(el => ({
        id: el.id,
        plotly: el.classList.contains('js-plotly-plot'),
        traces: (el.data || []).length,
        values: (el.data || []).reduce((s, t) => s + ((t.x || t.values || []).length), 0),
        marks: el.querySelectorAll('.point').length,
        width: el.getBoundingClientRect().width,
        height: el.getBoundingClientRect().height}))""")
    ids = [c["id"] for c in charts]
    assert ids == ["fig-fit", "fig-extrapolation", "fig-residuals", "fig-parity", "fig-isoflop",
                   "fig-frontier", "fig-bench-r2", "fig-bench-points"]
    for c in charts:
        assert c["plotly"] and c["traces"] > 0 and c["values"] > 0, c
        assert c["marks"] > 0, c  # drawn marker / bar elements in the SVG
        assert c["width"] > 600 and c["height"] > 300, c
    # the runs trace of the first chart holds every run, each drawn
    runs = page.evaluate("""() => {
        const gd = document.getElementById('fig-fit');
        const i = gd.data.findIndex(t => t.name.startsWith('runs'));
        const layer = gd.querySelectorAll('.scatterlayer .trace')[i];
        return {n: gd.data[i].x.length, drawn: layer.querySelectorAll('path.point').length,
                rows: gd.data[i].customdata.map(c => c[0])};
    }""")
    assert runs["n"] == runs["drawn"] == chinchilla_bootstrap.n == 240
    assert sorted(runs["rows"]) == sorted(chinchilla_bootstrap.data["rows"])


def _hover_isolated_point(page, fig_id: str, trace_prefix: str) -> tuple[int, str]:
    """Move the mouse onto the runs point farthest from any other; return its row and label."""
    page.locator(f"#{fig_id}").scroll_into_view_if_needed()
    target = page.evaluate("""([id, prefix]) => {
        const gd = document.getElementById(id);
        const i = gd.data.findIndex(t => t.name.startsWith(prefix));
        const pts = Array.from(gd.querySelectorAll('.scatterlayer .trace')[i]
                               .querySelectorAll('path.point'));
        const box = pts.map(p => p.getBoundingClientRect())
                       .map(b => [b.x + b.width / 2, b.y + b.height / 2]);
        const all = Array.from(gd.querySelectorAll('.scatterlayer path.point'))
                         .map(p => p.getBoundingClientRect())
                         .map(b => [b.x + b.width / 2, b.y + b.height / 2]);
        let best = -1, bestGap = -1;
        box.forEach((c, j) => {
            let gap = Infinity;
            all.forEach(o => { const d = Math.hypot(o[0] - c[0], o[1] - c[1]);
                               if (d > 0.5) gap = Math.min(gap, d); });
            if (gap > bestGap) { bestGap = gap; best = j; }
        });
        return {x: box[best][0], y: box[best][1], row: gd.data[i].customdata[best][0],
                gap: bestGap};
    }""", [fig_id, trace_prefix])
    assert target["gap"] > 12, target  # a point with no neighbour under the cursor
    page.mouse.move(target["x"] - 30, target["y"] - 30)
    page.mouse.move(target["x"], target["y"], steps=4)
    label = page.locator(f"#{fig_id} .hoverlayer .hovertext")
    label.first.wait_for(state="visible", timeout=5_000)
    text = label.first.evaluate("""el => {
        const lines = Array.from(el.querySelectorAll('tspan.line')).map(t => t.textContent);
        return lines.length ? lines.join('\\n') : el.textContent;
    }""")
    return int(target["row"]), text


def _value(label: str, name: str) -> float:
    m = re.search(rf"{re.escape(name)} = ([-+0-9.e]+)", label.replace("−", "-"))
    assert m, (name, label)
    return float(m.group(1))


@pytest.mark.parametrize("fig_id,prefix", [("fig-fit", "runs"), ("fig-residuals", "runs"),
                                           ("fig-isoflop", "")])
def test_hover_shows_the_run_behind_a_point(browser_page, chinchilla_bootstrap, fig_id, prefix):
    page, log = browser_page
    row, label = _hover_isolated_point(page, fig_id, prefix)
    assert f"run: row {row}" in label.splitlines()
    res = chinchilla_bootstrap
    i = res.data["rows"].index(row)
    assert math.isclose(_value(label, "loss"), res.data["y"][i], rel_tol=1e-5)
    assert math.isclose(_value(label, "N (params)"), res.data["X"]["N"][i], rel_tol=1e-5)
    assert math.isclose(_value(label, "D (tokens)"), res.data["X"]["D"][i], rel_tol=1e-5)
    assert math.isclose(_value(label, "fitted"), res.fitted[i], rel_tol=1e-5)
    page.mouse.move(5, 5)
    assert log["console_errors"] == [] and log["page_errors"] == []


def test_legend_toggles_and_drag_zooms(browser_page):
    page, _ = browser_page
    page.locator("#fig-extrapolation").scroll_into_view_if_needed()
    toggle = page.locator("#fig-extrapolation .legend .traces .legendtoggle").first
    toggle.click()
    # plotly waits out the double-click interval before acting on a single click
    page.wait_for_function("document.getElementById('fig-extrapolation').data[0].visible "
                           "=== 'legendonly'", timeout=5_000)
    toggle.click()
    page.wait_for_function("document.getElementById('fig-extrapolation').data[0].visible "
                           "!== 'legendonly'", timeout=5_000)
    before = page.evaluate("document.getElementById('fig-extrapolation').layout.xaxis.range")
    box = page.locator("#fig-extrapolation .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    after = page.evaluate("document.getElementById('fig-extrapolation').layout.xaxis.range")
    assert after[1] - after[0] < 0.5 * (before[1] - before[0])
    page.locator("#fig-extrapolation .nsewdrag").first.dblclick()


def test_screenshot_is_not_blank(browser_page):
    from PIL import Image, ImageStat

    page, _ = browser_page
    page.mouse.move(5, 5)
    full = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    assert full.height > 4000  # every section laid out
    chart = Image.open(io.BytesIO(page.locator("#fig-fit").screenshot())).convert("RGB")
    for img, min_colours in ((full, 200), (chart, 50)):
        colours = img.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > min_colours
        assert max(ImageStat.Stat(img.convert("L")).stddev) > 10
    # the runs are drawn in viridis over white: many distinct saturated pixels in the chart
    px = np.asarray(chart, dtype=int)
    saturated = (px.max(axis=2) - px.min(axis=2)) > 60
    assert saturated.mean() > 0.005


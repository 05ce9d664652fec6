#!/usr/bin/env python3
"""How long headless Chromium takes to show the HTML report of a 10,000-action
build. Generates the action graph (bench/make_big_actiongraph.py), turns it
into a report (gox parse of an empty trace with that graph, then gox report
--format=html), and loads the page in a harness page that times, in the
browser, from the start of the load to the page parsed, styled and laid out (wall time, so it grows with the machine's load; the report itself has no script: the harness
reaches into it with --allow-file-access-from-files). Then the same for a
switch to the 64x zoom. Also the CPU time Chromium spends on a screenshot of the report, minus
that of a blank page (a figure that other load on the machine does not
inflate). Prints the medians of RUNS loads and saves a
screenshot of the page.

usage: bench/timeline_render.py GOX [RUNS] [SCREENSHOT.png]
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

HARNESS = """<!DOCTYPE html><html><head><title>pending</title></head><body>
<iframe id="f" style="width:1200px;height:1600px"></iframe>
<script>
const f = document.getElementById('f');
const t0 = performance.now();
f.onload = () => { try {
  const d = f.contentDocument;
  d.body.offsetHeight;            // style and layout now (--dump-dom ends the run after the load event: no await)
  const load = performance.now() - t0;
  const z0 = performance.now();
  d.getElementById('tlz64').checked = true;
  d.body.offsetHeight;
  const zoom = performance.now() - z0;
  const rects = d.querySelectorAll('#lanes rect').length;
  document.title = JSON.stringify({load, zoom, rects, lanes: d.getElementById('lanes').dataset.lanes});
} catch (e) { document.title = 'error: ' + e; } };
f.src = 'REPORT';
</script></body></html>"""

def chromium(prof, *args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--user-data-dir=" + prof, "--window-size=1200,1600"] + list(args),
                          capture_output=True, timeout=300)

def main():
    gox = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    shot = sys.argv[3] if len(sys.argv) > 3 else None
    d = tempfile.mkdtemp(prefix="timeline-bench-")
    try:
        graph, trace, doc, page = (os.path.join(d, x) for x in ("g.json", "t.trace", "r.json", "r.html"))
        subprocess.run([sys.executable, os.path.join(HERE, "make_big_actiongraph.py"), graph], check=True)
        open(trace, "w").close()
        with open(doc, "wb") as f:
            subprocess.run([gox, "parse", "--format=json", "--actiongraph=" + graph, trace], stdout=f, check=True)
        t = time.monotonic()
        with open(page, "wb") as f:
            subprocess.run([gox, "report", "--format=html", doc], stdout=f, check=True)
        render_s = time.monotonic() - t
        actions = json.load(open(doc))["timing"]["actions"]
        ran = sum(1 for a in actions if a["ran"])
        harness = os.path.join(d, "harness.html")
        open(harness, "w").write(HARNESS.replace("REPORT", "file://" + page))
        def cpu():
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime
        blank = os.path.join(d, "blank.html")
        open(blank, "w").write("<!DOCTYPE html><title>blank</title>")
        base, cpus = [], []
        for _ in range(runs):  # Chromium's own start-up, to subtract
            c = cpu()
            chromium(tempfile.mkdtemp(prefix="prof-", dir=d), "--screenshot=" + os.path.join(d, "b.png"), "file://" + blank)
            base.append(cpu() - c)
            c = cpu()
            chromium(tempfile.mkdtemp(prefix="prof-", dir=d), "--screenshot=" + os.path.join(d, "r.png"), "file://" + page)
            cpus.append(cpu() - c)
        loads, zooms, info = [], [], {}
        for _ in range(runs):
            prof = tempfile.mkdtemp(prefix="prof-", dir=d)
            p = chromium(prof, "--allow-file-access-from-files", "--dump-dom",
                         "file://" + harness)
            m = re.search(r"<title>(\{.*?\})</title>", p.stdout.decode())
            if not m:
                sys.exit("harness gave no result: " + re.search(r"<title>(.*?)</title>", p.stdout.decode()).group(1))
            info = json.loads(m.group(1).replace("&quot;", '"'))
            loads.append(info["load"] / 1000)
            zooms.append(info["zoom"] / 1000)
        print(f"actions in the document: {len(actions)} ({ran} ran); drawn: {info['rects']} in {info['lanes']} lanes; "
              f"page {os.path.getsize(page) / 1e6:.1f} MB, gox report {render_s:.2f} s")
        print(f"chromium load, style and layout: median {statistics.median(loads):.3f} s "
              f"(min {min(loads):.3f}, max {max(loads):.3f}, {runs} runs)")
        print(f"CPU seconds of a screenshot of the report minus one of a blank page (all Chromium processes; "
              f"independent of other load): median {statistics.median(cpus) - statistics.median(base):.3f} s")
        print(f"zoom to 64x and relayout: median {statistics.median(zooms):.3f} s")
        print(f"load average: {open('/proc/loadavg').read().split()[0]}")
        if shot:
            prof = tempfile.mkdtemp(prefix="prof-", dir=d)
            chromium(prof, "--screenshot=" + shot, "file://" + page)
            print("screenshot:", shot)
    finally:
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()

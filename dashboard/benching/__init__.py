"""The parts of `funnel bench` (dashboard/bench.py, the command): `timing` (percentiles, the timer, the log),
`processes` (the processes the bench starts and watches, from /proc), `samples` (the cached sample of each
size), `pages` (the pages' query sets, timed in this process), `peer` (the pandas peer, timed interleaved with
ours), `serving` (the cold `funnel kpis` and `funnel serve`'s first render), `report` (the machine, the targets,
the table and bench.md), and `browser` + `browser_report` (`funnel bench --browser`: the time people feel in
headless Chromium)."""

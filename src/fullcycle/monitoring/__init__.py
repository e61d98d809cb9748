"""fullcycle.monitoring: is production still like the training data?

reference.py   build_reference(frame, kinds) -> Reference   frozen summaries, JSON-ready
drift.py       pure numpy statistics and tests (PSI, KS, Wasserstein, chi-square, JS, OOV,
               p-value corrections), tested against scipy
sketch.py      mergeable sketches of a window (counts in frozen bins, category/token counts)
features.py    one column's sketch vs its summary: the STATISTICS and TESTS tables
compare.py     report_from_sketch (the one engine), compare(reference, frame),
               drift_frames(ref_df, cur_df) -> DriftReport
report.py      DriftReport: verdicts ranked, to_dict() / to_json() / to_html()
domain.py      domain-classifier AUC (can a model tell the window from the reference?)
window.py      the prediction log over a window (sealed segments + the active one)
parts.py       a mergeable summary of one part of the log (drift sketch, latencies, counts)
incremental.py stored summaries of sealed segments merged; only new rows are read
performance.py the live metric on labelled rows with its interval; the label-free estimate
cost.py        the live expected cost of the served decision policy
monitor.py     build_report: drift, performance, health, contract flags, alerts
service.py     run_monitor: read, report, store, alert (what the CLI and the loop call)
webhook.py     alerts to an allowed host, never to loopback/private/metadata addresses
"""

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
"""

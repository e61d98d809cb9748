"""fullcycle.monitoring: is production still like the training data?

reference.py   build_reference(frame, kinds) -> Reference   frozen summaries, JSON-ready
drift.py       pure numpy statistics (PSI, KS, Wasserstein, chi-square, JS, OOV, ...)
features.py    one column of a window vs its summary, with no-drift bootstrap draws
compare.py     compare(reference, frame) / drift_frames(ref_df, cur_df) -> DriftReport
report.py      DriftReport: verdicts ranked, to_dict() / to_json() / to_html()
domain.py      domain-classifier AUC (can a model tell the window from the reference?)
"""

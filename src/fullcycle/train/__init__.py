"""fullcycle.train: from data to a fitted, evaluated, saved model, every step recorded.

tracking.py      Run: params, metric points, tags, figures, artifacts, environment, code version
trainer.py       one run start to finish: load, check, split, fit, evaluate, save
limits.py        the time limit of a run; a fit in a child process stopped at the limit
spec.py          what training needs from the scope, as frozen records
recipe.py        which estimator, params and preprocessing (features.py builds it from the contract)
evaluation.py    metrics from fullcycle.metric_table, slices, calibration, baselines (metrics.py)
diagnostics.py   learning curve and the bias/variance verdict
decisions.py     what errors cost; the threshold policy (decide.py applies a stored one)
card.py          the model card; report.py the evaluation as JSON and self-contained HTML
tuning.py        Optuna search, each trial a child run
flavours/        saving and loading by model kind: skops, XGBoost, LightGBM, CatBoost, ONNX
serialization.py the archive of a version; pickles only for versions an admin trusted
adopt.py         a model fitted elsewhere, evaluated and described like a trained one
mlflow_import.py runs and registered models from an MLflow tracking store
run_filter.py    the allow-listed filter language of ``fullcycle runs --filter``
"""

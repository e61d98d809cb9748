"""Scale-out: the same jobs on one machine or on a Dask cluster, with the same results.

    dask_executor   DaskExecutor(address).map(fn, items); executor_for(settings, "local"|"dask")
    cluster         ProcessCluster: a dask scheduler + workers as child processes (tests, bench)
    batch           predict_batch(model, frame_or_parquet, out, executor): partitioned scoring,
                    the output renamed into place only when every partition succeeded
    drift_window    per-partition sketches, combined exactly, -> the same DriftReport as compare()
    logwindow       partitions from sealed prediction-log segments (local paths or s3:// URLs)
    archive         sealed log segments moved to object storage, the store's index re-pointed

The executor is chosen by ``--executor`` or ``FULLCYCLE_DASK_SCHEDULER``; see docs/team.md.
"""

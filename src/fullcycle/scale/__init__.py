"""Scale-out: the Dask executor, partitioned batch scoring, drift over large windows.

Each piece runs the same code on one machine (the local process pool) and on a Dask cluster
(``FULLCYCLE_DASK_SCHEDULER`` or ``--executor dask``); the results are the same.
"""

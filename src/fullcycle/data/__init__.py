"""fullcycle.data: dataset versions and the labelling queue.

reading.py       files and in-memory tables -> pyarrow, bad input refused with a clear error
versions.py      immutable ``NAME@N`` versions, canonical Parquet, sha256, contract checked
profile.py       a per-column profile (pyarrow.compute)
splits.py        deterministic splits: random, stratified, time, group
lineage.py       parents and how each version was made
labeling.py      the queue: which rows deserve a person's time; merge labelled rows into data
label_io.py      tasks out and labels in: CSV (formula-safe), JSON Lines, Label Studio (3 exports)
label_import.py  every label checked and normalised to the target's kind, all or nothing
agreement.py     Cohen's kappa, majority vote with a confidence
"""

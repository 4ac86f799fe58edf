"""The pipeline's stages as plain functions over records: load, clean, extract, store, fetch.

Stages take data and return records (`tasks.models`); they never hold a
connection. `steps.py` and `fetch_steps.py` wrap them as Prefect tasks and
are the only place in this package that reaches the warehouse.
"""

"""Spreadsheet import: a seller's CSV or XLSX file becomes products, upserted by SKU.

Two steps, so a 10,000-row file never holds one giant transaction nor an RPC worker:
- ``start_import`` (RPC, quick): checks the actor, the size, the format and the row count,
  and stores an ``ImportJob`` (status ``pending``) with the file.
- ``run_job`` (background, ``ImportRunner`` in the catalog process, or the CLI): parses the
  file, then handles a chunk of rows per transaction (``FIRST_CHUNK_ROWS``, then
  ``CHUNK_ROWS``), each chunk staging one
  ``catalog.products_imported`` event for the products it changed. Importing the same file
  twice changes nothing.

The modules, in the order a file goes through them:
- ``sheet``: the columns, the header spellings, the file limits (shared by the next three);
- ``template``: the XLSX a seller downloads, with the instructions;
- ``parsing``: CSV/XLSX bytes to numbered rows of cell text;
- ``rows``: one row checked, as a ``RowPlan`` (the product, or errors by column);
- ``photo_urls``: the photos a row names by URL, fetched and stored;
- ``jobs``: starting an import and reading its progress;
- ``chunks``: one chunk of rows in one transaction, with its event;
- ``runner``: claiming and running jobs, and the ``ImportRunner`` provider;
- ``offload``: CPU-heavy work off the eventlet hub.

Row numbers are the ones the seller sees in the sheet: the header is row 1.
"""
from services.catalog.imports.jobs import (
    DONE,
    FAILED,
    MAX_REPORTED_ERRORS,
    PENDING,
    RUNNING,
    create_job,
    get_import,
    job_to_dict,
    start_import,
)
from services.catalog.imports.runner import (
    CHUNK_ROWS,
    FIRST_CHUNK_ROWS,
    ImportRunner,
    chunk_bounds,
    claim_next_job,
    run_job,
)
from services.catalog.imports.sheet import COLUMN_NAMES, MAX_FILE_BYTES, MAX_ROWS
from services.catalog.imports.template import build_template

__all__ = [
    "CHUNK_ROWS", "COLUMN_NAMES", "DONE", "FAILED", "FIRST_CHUNK_ROWS", "MAX_FILE_BYTES", "MAX_REPORTED_ERRORS",
    "MAX_ROWS", "PENDING", "RUNNING", "ImportRunner", "build_template", "chunk_bounds", "claim_next_job",
    "create_job", "get_import",
    "job_to_dict", "run_job", "start_import",
]

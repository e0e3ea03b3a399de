"""The names a user chooses among (document kinds and formats, trace formats, paper sizes), in one place.

Kept free of imports: the command line builds its options from them, and `tracegen --help`
must not wait for NumPy, pandas or WeasyPrint to load.
"""

KINDS = ("worksheet", "key")
DOCUMENT_FORMATS = ("md", "html", "pdf")
TRACE_FORMATS = ("csv", "json", "parquet")
PAPERS = {"a4": "A4", "letter": "letter"}  # --paper -> CSS @page size

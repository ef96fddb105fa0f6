"""The markdown notes pipeline: parse a notes file, plan each call, import, export.

`parser` reads a file into calls and entries, `plan` turns one call into the rows
to write (with `people` resolving names), `importer` writes them, `exporter`
writes the markdown back, `check` proves nothing was lost, `admin` is the upload
page. `format` holds the small text helpers they share.
"""

"""The parts of `funnel import` (dashboard/importer.py): the mapping, the readers and the parsers."""

"""The parts of `funnel sample` (dashboard/sample.py): the cast, the plan, one chunk's simulation, the snapshot tables."""

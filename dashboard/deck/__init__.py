"""The meeting deck: `data` (every number a slide shows, from the Funnel API), `layout` (the PowerPoint
plumbing: template, layouts, tables, native charts, pictures) and `slides` (the slides in order, and
`build_deck` / `render_deck`). `funnel export` is dashboard/export.py."""

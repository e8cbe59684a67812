"""The dashboard's pages (one thin file each, listed in dashboard/app.py) and _ui, what they share."""

"""Jinja templates and static files, shipped as the package `tracegen.templates`."""

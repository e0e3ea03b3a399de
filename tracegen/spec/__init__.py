"""The exercise as the teacher writes it: reading a spec file safely, checking it, its quantities' shapes,
and its size limits."""

"""The exercise as the teacher writes it: reading a spec file safely, checking it, and its size limits."""

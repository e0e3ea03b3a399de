"""A class set: variants drawn from a spec (one per student), rendered into a batch folder, read back for grading."""

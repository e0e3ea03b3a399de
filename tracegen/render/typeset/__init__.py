"""The PDF's maths typesetter: maths trees as boxes of glyphs, with the shipped fonts' metrics."""

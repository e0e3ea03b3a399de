"""The maths tree, one source of notation, and its writers: LaTeX (Markdown), MathML (HTML), speech, trace symbols."""

"""PDF output: WeasyPrint lays the print HTML out; the finisher draws the typeset maths into it.

`loader` imports WeasyPrint quickly, `process` lays PDFs out in a process started early,
`writer` runs WeasyPrint, `finisher` writes the maths into its page streams with `fonts`,
`sfnt` (font subsets) and `stream` (content-stream parsing).
"""

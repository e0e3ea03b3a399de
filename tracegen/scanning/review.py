"""The review page: one self-contained HTML file with every blank the reader did not accept (its
picture, the best readings, a field for the value) and a button that saves the typed values as a
corrections CSV for `tracegen grade --corrections`. No network, no external script."""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from PIL import Image

from tracegen.grading.tables import identity
from tracegen.scanning.scanned import Scanned

STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:60em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.4em;text-align:left;vertical-align:middle}
img{image-rendering:auto;border:1px solid #999;max-width:28em}input{font-size:1.2em;width:7em}
button.pick{margin:.1em;font-family:monospace}#save{font-size:1.1em;margin:1em 0}"""

SCRIPT = """
document.querySelectorAll('button.pick').forEach(function (b) {
  b.addEventListener('click', function () { b.closest('tr').querySelector('input').value = b.dataset.value; });
});
document.getElementById('save').addEventListener('click', function () {
  var id = document.body.dataset.id;
  var lines = [id + ',blank,value'];
  var q = function (t) { return /[",\\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t; };
  document.querySelectorAll('tr[data-blank]').forEach(function (r) {
    var v = r.querySelector('input').value.trim();
    if (v !== '') { lines.push([q(r.dataset.who), q(r.dataset.blank), q(v)].join(',')); }
  });
  var link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([lines.join('\\n') + '\\n'], {type: 'text/csv'}));
  link.download = 'corrections.csv';
  document.body.appendChild(link); link.click(); link.remove();
});
"""


def page(scanned: Scanned) -> bytes:
    """The review page of a scan (a page saying so when nothing is flagged)."""
    batch = scanned.batch
    who = identity(batch, range(len(batch.variants)))
    id_column = "student_id" if "student_id" in who else "variant"
    rows = []
    for (variant, blank), decision in scanned.decisions.items():
        if decision.accepted:
            continue
        r = batch.variants.index(variant)
        person = who[id_column][r]
        label = escape(f"{person} {who['student_name'][r]}".strip())
        picture = scanned.page_of(variant, blank).pictures[blank]
        picks = "".join(f'<button type="button" class="pick" data-value="{escape(text)}">'
                        f'{escape(text or "(empty)")} <small>{p:.0%}</small></button>'
                        for text, p in decision.readings)
        rows.append(f'<tr data-who="{escape(person)}" data-blank="{escape(blank)}"><td>{label}<br>'
                    f'<small>{escape(blank)}</small></td><td><img alt="the cells of {escape(blank)}" '
                    f'src="data:image/png;base64,{_png(picture)}"></td><td>{picks}</td>'
                    f'<td><input aria-label="value of {escape(blank)}" inputmode="decimal"></td></tr>')
    flagged = len(rows)
    body = ("<p>Every blank was read: nothing to review.</p>" if not rows else
            f"<p>{flagged} blank{'s' * (flagged != 1)} to look at. Type what is written (leave a field empty to "
            f"keep it unanswered), then save the corrections and grade with <code>tracegen grade "
            f"{escape(batch.folder.name)} responses.csv --corrections corrections.csv</code>.</p>"
            f'<button id="save" type="button">Save corrections.csv</button>'
            f"<table><tr><th>Student, blank</th><th>Scan</th><th>Best readings</th><th>Value</th></tr>"
            f"{''.join(rows)}</table>")
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Scan review</title>'
            f"<style>{STYLE}</style></head><body data-id=\"{id_column}\"><h1>Scan review</h1>{body}"
            f"<script>{SCRIPT}</script></body></html>\n")
    return html.encode("utf-8")


def _png(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

"""Reading filled paper worksheets back (`tracegen scan`): find each scanned page by its code and
marks, read each blank's character cells with a small digit model, decide each blank among the
values a careful student could write, and hand the rest to a person.

Needs the `scan` extra (Pillow, zxing-cpp, pypdfium2); the rest of tracegen never imports this
package, so tracegen runs without it.
"""

from __future__ import annotations

import importlib.util

EXTRA = ("PIL", "zxingcpp", "pypdfium2")


def missing() -> str | None:
    """Why `tracegen scan` cannot run here (a message naming the extra), or None."""
    absent = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    return (f"tracegen scan needs the scan extra ({', '.join(absent)} not installed): "
            f"pip install 'tracegen[scan]'")

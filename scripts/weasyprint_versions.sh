#!/usr/bin/env bash
# Run the PDF tests against each WeasyPrint version, each in a throwaway virtual environment.
#
#   bash scripts/weasyprint_versions.sh              # every release from 68.0 on, newest included
#   bash scripts/weasyprint_versions.sh 69.0 71.0    # only these
#
# The PDF finisher (tracegen/render/pdfmath.py) reads WeasyPrint's finished document, so
# pyproject.toml pins the versions it was checked with ("weasyprint>=68,<71"). Raising that
# bound is a measured decision: run this, and raise it when the new version passes. The
# project is installed without its pins (--no-deps), then its other requirements and the
# WeasyPrint version under test. Prints one line per version; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tests=(tests/render/test_pdf.py tests/render/test_finisher.py tests/render/test_pdfmath.py tests/render/test_render.py tests/render/test_pdf_process.py)

if [ $# -gt 0 ]; then
  versions=("$@")
else
  mapfile -t versions < <(python3 -m pip index versions weasyprint 2>/dev/null | sed -n 's/^Available versions: //p' \
    | tr ',' '\n' | tr -d ' ' | awk -F. '$1 >= 68' | sort -V)
fi
[ ${#versions[@]} -gt 0 ] || { echo "no WeasyPrint versions found (pip index versions weasyprint)" >&2; exit 2; }

requirements=$(python3 - <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = project["dependencies"] + project["optional-dependencies"]["test"]
print(" ".join(r.split("#")[0].strip() for r in wanted if not re.match(r"weasyprint\b", r, re.I)))
PY
)

failed=0
summary=()
for version in "${versions[@]}"; do
  env="$work/wp-$version"
  python3 -m venv "$env"
  log="$work/wp-$version.log"
  if "$env/bin/pip" install -q --no-deps -e "$root" >"$log" 2>&1 \
     && "$env/bin/pip" install -q $requirements "weasyprint==$version" >>"$log" 2>&1; then
    if (cd "$root" && "$env/bin/python" -m pytest -p no:cacheprovider "${tests[@]}" >>"$log" 2>&1); then
      summary+=("weasyprint $version: ok ($(tail -1 "$log" | sed 's/=//g' | xargs))")
    else
      summary+=("weasyprint $version: FAILED ($(tail -1 "$log" | sed 's/=//g' | xargs))")
      tail -40 "$log"
      failed=1
    fi
  else
    summary+=("weasyprint $version: could not install (see below)")
    tail -20 "$log"
    failed=1
  fi
  rm -rf "$env"
done
printf '%s\n' "${summary[@]}"
exit $failed

#!/usr/bin/env bash
# Every citation of the design in the code ("docs/design.md §4.2") names a section that docs/design.md has, and
# nothing cites the planning document that lived outside the repository (DESIGN.md, "DESIGN 4.1").
#   scripts/check-design-citations.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bad=0
files=$(git ls-files -- src tests tools bench scripts cmake proto CMakeLists.txt README.md docs | grep -v '^docs/design.md$' |
  grep -v '^scripts/check-design-citations.sh$')
while IFS=: read -r file line section; do
  section=${section%.}
  if ! grep -qE "^#+ ${section//./\\.}\.? " docs/design.md; then
    echo "$file:$line: cites docs/design.md §$section, which docs/design.md does not have"
    bad=1
  fi
done < <(grep -noE 'docs/design\.md §[0-9]+(\.[0-9]+)*' $files | sed 's/docs\/design\.md §//')
if old=$(grep -nE 'DESIGN(\.md| [0-9])' $files); then
  echo "$old" | sed 's/$/   <- cite docs\/design.md §N instead/'
  bad=1
fi
[ "$bad" = 0 ] && echo "design citations: ok"
exit "$bad"

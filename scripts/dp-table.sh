#!/usr/bin/env bash
# Measures the federated AUROC under differential privacy (issue 11) and prints markdown tables:
# epsilon in {1, 3, 8, inf (= --dp off)} for each mode (distributed, central, local), and the bits
# of the distributed secure sum in {12, 16, 20} at epsilon 3, on two cohorts:
#   - the demo's synthetic hospitals: `bin/cohort demo` (separate processes, mutual TLS);
#   - the Wisconsin breast-cancer split over four sites: `bin/cohort simulate` (in-process).
# Everything else is each command's default (printed in the runs' logs). A configuration the
# coordinator refuses appears as "refused: <its reason>". The sites draw their DP noise and samples
# from their own SecureRandom, so the private cells vary from run to run.
#   scripts/dp-table.sh [OUT_DIR]     (default: dp-table-work; about 15 min on 2 cores)
# Needs jq, and the real data (scripts/fetch-real-data.sh, run here).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-dp-table-work}" && cd "${1:-dp-table-work}" && pwd)"
cd "$root"
command -v jq >/dev/null || { echo "dp-table: needs jq" >&2; exit 2; }

bash scripts/fetch-real-data.sh
bin/cohort prepare-breast-cancer --out "$out/breast-cancer-sites.csv" --sites 4 --seed 1 >/dev/null

: >"$out/commands.md"

auroc() {
  jq -r ".comparison.$2.auroc | . * 10000 | round / 10000 | tostring" "$1"
}

# run NAME REPORT ARGS...: runs bin/cohort ARGS, which writes its JSON report to REPORT; prints the
# table cell (the federated AUROC, or "refused: reason") and records the command and wall time.
run() {
  local name=$1 report=$2
  shift 2
  local started=$SECONDS status=0
  bin/cohort "$@" >"$out/$name.log" 2>"$out/$name.err" || status=$?
  echo "| $name | \`bin/cohort $*\` | $((SECONDS - started)) s |" >>"$out/commands.md"
  if [ "$status" -eq 2 ]; then
    echo "refused: $(sed -n '1s/^cohort [a-z-]*: //p' "$out/$name.err")"
  elif [ ! -s "$report" ]; then
    echo "failed (exit $status, see $out/$name.log)"
  else
    cp "$report" "$out/$name.json" 2>/dev/null || true
    auroc "$out/$name.json" federated
  fi
}

demo() {
  local name=$1
  shift
  run "$name" "$out/$name/report.json" demo --work-dir "$out/$name" "$@"
}

breast() {
  local name=$1
  shift
  run "$name" "$out/$name.json" simulate --data "$out/breast-cancer-sites.csv" --site-column site \
    --label-column malignant --json "$out/$name.json" "$@"
}

pooled() {
  auroc "$out/$1.json" pooled 2>/dev/null || echo "?"
}

table() {
  local cohort=$1 label=$2
  declare -A cell
  for mode in distributed central local; do
    for epsilon in 1 3 8; do
      cell[$mode,$epsilon]=$("$cohort" "$cohort-$mode-eps$epsilon" --dp "$mode" --epsilon "$epsilon")
    done
  done
  local off
  off=$("$cohort" "$cohort-off" --dp off)
  local bits12 bits16
  bits12=$("$cohort" "$cohort-distributed-eps3-bits12" --dp distributed --epsilon 3 --bits 12)
  bits16=$("$cohort" "$cohort-distributed-eps3-bits16" --dp distributed --epsilon 3 --bits 16)

  echo
  echo "### $label: federated AUROC (pooled non-private reference: $(pooled "$cohort-off"))"
  echo
  echo "| epsilon | distributed | central | local |"
  echo "|---|---|---|---|"
  for epsilon in 1 3 8; do
    echo "| $epsilon | ${cell[distributed,$epsilon]} | ${cell[central,$epsilon]} | ${cell[local,$epsilon]} |"
  done
  echo "| inf (--dp off) | $off | $off | $off |"
  echo
  echo "| distributed, epsilon 3 | bits 12 | bits 16 | bits 20 (default) |"
  echo "|---|---|---|---|"
  echo "| AUROC | $bits12 | $bits16 | ${cell[distributed,3]} |"
}

{
  table demo "Demo cohort (5 synthetic hospitals, bin/cohort demo)"
  table breast "Wisconsin breast cancer, 4 sites (bin/cohort simulate)"
  echo
  echo "| run | command | wall time |"
  echo "|---|---|---|"
  cat "$out/commands.md"
} | tee "$out/dp-table.md"

#!/usr/bin/env bash
# The whole GPU verification in one offline command, for a bare GPU machine with torch
# but no package index. Everything worth reading ends up in OUT (flat, at most 8 files).
#
#   tools/gpu_check.sh OUT [--wheelhouse DIR] [--cpu] [--deadline SECONDS] [--keep-wheel]
#
# Parts, most valuable first, each with a time budget (a part out of time is reported,
# the next one still runs; the whole script ends inside --deadline, default 530 s):
#   install    tools/install.sh --current-env --offline DIR (mmcv CUDA ops for this GPU;
#              if that build fails, again with CPU ops only, so the rest still runs)
#   gpu_tests  pytest -m gpu: the deformable-attention kernel against grid_sample and
#              float64 (fp32, bf16, forward and backward), a training step of the tiny
#              and full models (the NCCL test is left to the ddp part)
#   benchmark  tools/benchmark.py, all cases, 2 warm-up + 5 timed iterations
#   toy        the toy pipeline (adaptation in bf16 with the correction hook, then the
#              test); its mIoU must beat the source model and be near the CPU run's
#   ddp        with 2 or more GPUs: 2 processes on NCCL with SyncBN
# OUT gets install.log, gpu_tests.log, benchmark.log, benchmark.json, toy.log,
# ddp.log (2+ GPUs), and summary.md / summary.json (pass/fail per part, benchmark table).
#
# --cpu (or no CUDA device): the same script on a CPU machine: install and the GPU
# tests run (the tests skip themselves), the benchmark runs on the CPU with the tiny
# configs, the toy and ddp parts are skipped; the summary says which parts ran.
# Budgets can be changed with UVPT_BUDGET_<PART>=SECONDS (e.g. UVPT_BUDGET_INSTALL=420).
# --keep-wheel copies the mmcv-full wheel it built to OUT/mmcv-wheels/<key>/: put that
# folder into the wheelhouse (DIR/mmcv-wheels/) and the next install on an identical
# machine (same torch, Python, GPU architecture) skips the CUDA build.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2

usage() { sed -n '2,24p' "$0"; exit "${1:-0}"; }
[ $# -ge 1 ] || usage 2
case "$1" in -h|--help) usage 0 ;; -*) echo "gpu_check.sh: OUT first (see --help)" >&2; exit 2 ;; esac
out="$1"; shift
wheelhouse="$root/.wheelhouse"
cpu_mode=0
keep_wheel=0
deadline=530
while [ $# -gt 0 ]; do
  case "$1" in
    --wheelhouse) wheelhouse="${2:?--wheelhouse needs a folder}"; shift ;;
    --cpu) cpu_mode=1 ;;
    --keep-wheel) keep_wheel=1 ;;
    --deadline) deadline="${2:?--deadline needs seconds}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "gpu_check.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$wheelhouse/wheelhouse.json" ] || {
  echo "gpu_check.sh: $wheelhouse/wheelhouse.json is missing: make the wheelhouse with" \
       "tools/wheelhouse.sh $wheelhouse --python X.Y where pip can reach an index" >&2
  exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
py="${PYTHON:-python3}"
export PYTHON="$py" PYTHONUNBUFFERED=1
parts="$out/.parts.tsv"  # name, status, seconds, budget, note (read by the summary)
: > "$parts"

if [ "$cpu_mode" = 0 ] && ! "$py" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
  echo "gpu_check.sh: no CUDA device visible: running the CPU mode" >&2
  cpu_mode=1
fi
ngpu=0
[ "$cpu_mode" = 1 ] || ngpu="$("$py" -c 'import torch; print(torch.cuda.device_count())')"

# name, nominal budget, least time worth starting it with (seconds)
declare -A budget=([install]=420 [install_cpu_ops]=120 [gpu_tests]=90 [benchmark]=90
                   [toy]=120 [ddp]=60)
declare -A least=([install]=60 [install_cpu_ops]=60 [gpu_tests]=30 [benchmark]=40 [toy]=45
                  [ddp]=40)
order=(install install_cpu_ops gpu_tests benchmark toy ddp)
for p in "${order[@]}"; do
  var="UVPT_BUDGET_${p^^}"
  [ -n "${!var:-}" ] && budget[$p]="${!var}"
done
will_run() {  # whether a part is attempted at all in this mode
  case "$1" in
    toy) [ "$cpu_mode" = 0 ] ;;
    ddp) [ "$cpu_mode" = 0 ] && [ "$ngpu" -ge 2 ] ;;
    install_cpu_ops) false ;;  # only after a failed install, never reserved for
    *) true ;;
  esac
}
start=0  # bash's SECONDS counts from the script's start
summary_reserve=20
# Time a part may take: its budget, but never so much that a later part that will
# run is left with less than its least useful time.
part_timeout() {
  local me="$1" later=0 seen=0 p
  for p in "${order[@]}"; do
    if [ "$seen" = 1 ] && will_run "$p"; then later=$((later + least[$p])); fi
    [ "$p" = "$me" ] && seen=1
  done
  local left=$((deadline - (SECONDS - start) - summary_reserve - later))
  local t=${budget[$me]}
  [ "$left" -lt "$t" ] && t=$left
  echo "$t"
}
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$parts"; }
stack_ok=0
# run_part NAME LOG COMMAND...: runs under its timeout, records pass/fail/timeout
run_part() {
  local name="$1" log="$2"; shift 2
  local t; t="$(part_timeout "$name")"
  if [ "$t" -lt "${least[$name]}" ]; then
    record "$name" "skipped" 0 "$t" "out of time before it started"
    echo "gpu_check.sh: $name: skipped, ${t}s left"; return 1
  fi
  echo "gpu_check.sh: $name (budget ${t}s) -> $log"
  local s=$SECONDS rc
  timeout --kill-after=10 "$t" "$@" > "$log" 2>&1
  rc=$?
  local took=$((SECONDS - s))
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    record "$name" "timeout" "$took" "$t" "stopped after its ${t}s budget"
  elif [ "$rc" = 0 ]; then
    record "$name" "pass" "$took" "$t" ""
  else
    record "$name" "fail" "$took" "$t" "exit status $rc"
  fi
  echo "gpu_check.sh: $name: $(tail -1 "$parts" | cut -f2) in ${took}s"
  return "$rc"
}
skip() { record "$1" "skipped" 0 0 "$2"; echo "gpu_check.sh: $1: skipped ($2)"; }

# 1. install (everything else needs the stack)
if run_part install "$out/install.log" bash tools/install.sh --current-env --offline "$wheelhouse"; then
  stack_ok=1
  wheel="$(sed -n 's/^build_mmcv: \(reusing \)\{0,1\}cached //p' "$out/install.log" | tail -1)"
  if [ "$keep_wheel" = 1 ] && [ -f "$wheel" ]; then
    key_dir="$out/mmcv-wheels/$(basename "$(dirname "$wheel")")"
    mkdir -p "$key_dir" && cp "$wheel" "$key_dir/"
    echo "gpu_check.sh: kept $(du -h "$wheel" | cut -f1) $key_dir/$(basename "$wheel")"
  fi
fi
# A CUDA build that fails (this mmcv and the machine's nvcc meet for the first time)
# still leaves the rest worth running on mmcv's CPU ops: the benchmark and the
# training steps then use the grid_sample path, and the kernel tests skip.
if [ "$stack_ok" = 0 ] && [ "$cpu_mode" = 0 ] && [ "$(tail -1 "$parts" | cut -f2)" = fail ]; then
  if UVPT_MMCV_CUDA=off run_part install_cpu_ops "$out/install.log.cpu_ops" \
      bash tools/install.sh --current-env --offline "$wheelhouse"; then
    stack_ok=1
  fi
  cat "$out/install.log.cpu_ops" >> "$out/install.log" 2>/dev/null
  rm -f "$out/install.log.cpu_ops"
fi
need_stack="the install did not finish"

# 2. GPU tests (in CPU mode they skip themselves: collection and imports still count)
if [ "$stack_ok" = 1 ]; then
  run_part gpu_tests "$out/gpu_tests.log" "$py" -m pytest -m gpu tests -q -p no:cacheprovider \
    --ignore=tests/test_gpu_ddp.py
else skip gpu_tests "$need_stack"; fi

# 3. benchmark, bounded: 2 warm-up + 5 timed steps a case, no new case once its
# budget (less a margin for the case in flight) is spent
if [ "$stack_ok" = 1 ]; then
  t="$(part_timeout benchmark)"
  if [ "$cpu_mode" = 1 ]; then
    bench_args=(--device cpu --toy --iters 1 --warmup 0 --no-onednn --cpu-threads 1)
  else
    bench_args=(--iters 5 --warmup 2)
  fi
  run_part benchmark "$out/benchmark.log" "$py" tools/benchmark.py "${bench_args[@]}" \
    --time-budget "$((t * 2 / 3))" --out "$out/benchmark.json"
else skip benchmark "$need_stack"; fi

# 4. the toy pipeline on the GPU, adaptation in bf16 (work files outside OUT)
toy_dir="$root/work_dirs/gpu_check_toy"
if ! will_run toy; then
  skip toy "needs CUDA to fit its budget (the CPU run is tools/demo.sh, ~8 min)"
elif [ "$stack_ok" = 1 ]; then
  # the data on all cores first (the demo generates it in one process, and leaves a
  # complete set alone; the output does not depend on --nproc)
  # shellcheck disable=SC2016  # $1.. expand in the inner shell
  run_part toy "$out/toy.log" bash -c '"$1" tools/generate_toy_data.py --convert --nproc "$2" &&
    "$1" tools/toy_demo.py --work-dir "$3" --fresh --train-options model.amp_dtype=bfloat16' \
    _ "$py" "$(nproc)" "$toy_dir"
else skip toy "$need_stack"; fi

# 5. DDP on NCCL with SyncBN
if ! will_run ddp; then
  skip ddp "needs 2 or more GPUs (this machine: $ngpu)"
elif [ "$stack_ok" = 1 ]; then
  run_part ddp "$out/ddp.log" "$py" -m pytest tests/test_gpu_ddp.py -q -p no:cacheprovider
else skip ddp "$need_stack"; fi

"$py" tools/gpu_check_summary.py "$out" --mode "$([ "$cpu_mode" = 1 ] && echo cpu || echo gpu)" \
  --toy-summary "$toy_dir/summary.json" --seconds "$((SECONDS - start))" --deadline "$deadline"
rc=$?
rm -f "$parts"
exit "$rc"

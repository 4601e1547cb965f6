#!/usr/bin/env bash
# Proves the versions the baked project promises: Python 3.10 to 3.13 with the
# newest releases its requirement ranges allow, and the lowest releases they
# allow (`uv pip install --resolution lowest-direct`, on the oldest Python).
# Bakes once; each leg gets its own copy of the project and its own virtualenv,
# then runs the project's pytest, `kedro run` and both notebooks (in a plain
# `python3` kernel of that virtualenv, from notebooks/). Prints a table and
# exits non-zero when a leg fails.
#
#   bash scripts/matrix.sh                       # every leg: 3.10 3.11 3.12 3.13 lowest
#   bash scripts/matrix.sh --legs lowest 3.13    # some of them
#
# Interpreters are found with `uv python find`, as pythonX.Y on PATH, or among
# pyenv's installed versions. A leg whose Python is missing fails: a promise
# that was not checked is not kept. Work files go to .matrix/ (MATRIX_DIR).
set -uo pipefail
template=$(cd "$(dirname "$0")/.." && pwd)
work=${MATRIX_DIR:-$template/.matrix}
all_legs=(3.10 3.11 3.12 3.13 lowest)
legs=()
while [ $# -gt 0 ]; do
    case $1 in
        --legs) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do legs+=("$1"); shift; done ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "matrix.sh: unknown argument '$1' (use --legs LEG... with LEG in: ${all_legs[*]})" >&2; exit 2 ;;
    esac
done
[ ${#legs[@]} -gt 0 ] || legs=("${all_legs[@]}")
for leg in "${legs[@]}"; do
    case " ${all_legs[*]} " in *" $leg "*) ;; *)
        echo "matrix.sh: unknown leg '$leg' (legs: ${all_legs[*]})" >&2; exit 2 ;;
    esac
done

# A user's defaults: bytecode cached, no MLflow settings inherited.
unset PYTHONDONTWRITEBYTECODE PYTHONPATH PYTHONWARNINGS
for name in $(compgen -e | grep '^MLFLOW_'); do unset "$name"; done
# Telemetry off. MLflow reads DO_NOT_TRACK only when it is "true".
export KEDRO_DISABLE_TELEMETRY=true DO_NOT_TRACK=1 MLFLOW_DISABLE_TELEMETRY=true

rm -rf "$work"
mkdir -p "$work"
tools=$work/tools
if ! { python3 -m venv "$tools" &&
        "$tools/bin/python" -m pip install -q --disable-pip-version-check uv "cookiecutter>=2.6,<3" &&
        "$tools/bin/cookiecutter" -f --no-input --output-dir "$work/baked" "$template"; } >"$work/setup.log" 2>&1; then
    cat "$work/setup.log" >&2
    exit 1
fi
uv=$tools/bin/uv
baked=$(find "$work/baked" -mindepth 1 -maxdepth 1 -type d)

find_python() {  # prints the path of an interpreter for Python $1 (e.g. 3.10)
    local version=$1 exe candidate
    if exe=$("$uv" python find --no-python-downloads "$version" 2>/dev/null); then
        echo "$exe"; return 0
    fi
    if exe=$("python$version" -c 'import sys; print(sys.executable)' 2>/dev/null); then
        echo "$exe"; return 0
    fi
    # pyenv's shims answer only for the versions `pyenv global` selects.
    if command -v pyenv >/dev/null; then
        for candidate in $(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" | sort -rV); do
            exe="$(pyenv root)/versions/$candidate/bin/python$version"
            [ -x "$exe" ] && { echo "$exe"; return 0; }
        done
    fi
    return 1
}

versions='
import importlib.metadata as md
names = ["kedro", "kedro-mlflow", "mlflow", "kedro-datasets", "scikit-learn",
         "pandas", "ipython", "ipykernel", "jupyterlab", "notebook", "pytest"]
print(" ".join(f"{name}=={md.version(name)}" for name in names))
'

step() {  # step LEG NAME COMMAND...: runs it in the leg's project, logs, records ok/FAIL
    local leg=$1 name=$2; shift 2
    local dir=$work/$leg log=$work/$leg/$name.log status
    (cd "$dir/project" && timeout 1800 "$@") >"$log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then echo ok; else echo "FAIL($status)"; fi
}

declare -A result
failed=0
for leg in "${legs[@]}"; do
    dir=$work/$leg
    mkdir -p "$dir"
    started=$SECONDS
    resolution=()
    version=$leg
    if [ "$leg" = lowest ]; then
        resolution=(--resolution lowest-direct)
        version=${all_legs[0]}
    fi
    echo "== leg $leg (Python $version${resolution:+, lowest-direct})"
    if ! python=$(find_python "$version"); then
        result[$leg]="| $leg | not found | - | - | - | - | - | - |"
        echo "   Python $version not found"
        failed=1; continue
    fi
    venv=$dir/venv
    if ! { "$uv" venv -q --seed -p "$python" "$venv" &&
           "$uv" pip install -q -p "$venv/bin/python" "${resolution[@]}" -r "$baked/requirements.txt"; } >"$dir/install.log" 2>&1; then
        result[$leg]="| $leg | $("$python" -V 2>&1 | cut -d' ' -f2) | FAIL | - | - | - | - | see $dir/install.log |"
        failed=1; continue
    fi
    cp -r "$baked" "$dir/project"
    # A plain machine: empty IPython and Jupyter folders, the venv first on PATH
    # (the python3 kernel spec that ipykernel installs starts `python`).
    for folder in ipython jupyter-data jupyter-config jupyter-runtime; do mkdir -p "$dir/home/$folder"; done
    export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv IPYTHONDIR=$dir/home/ipython \
        JUPYTER_DATA_DIR=$dir/home/jupyter-data JUPYTER_CONFIG_DIR=$dir/home/jupyter-config \
        JUPYTER_RUNTIME_DIR=$dir/home/jupyter-runtime

    # The project's own tests first, on the project as baked, then a user's
    # first run and the notebooks in their numbered order.
    tests=$(step "$leg" pytest python -m pytest -q -p no:cacheprovider)
    run=$(step "$leg" kedro-run kedro run)
    if [ "$run" = ok ] && grep -qi warning "$dir/kedro-run.log"; then run="warnings"; fi
    notebooks=ok
    for notebook in "$dir"/project/notebooks/*.ipynb; do
        name=$(basename "$notebook" .ipynb)
        # Exits 3 when an output has a line a user would read as a warning.
        outcome=$(step "$leg" "$name" python "$template/scripts/execute_notebook.py" \
            "$notebook" "$dir/$name.executed.ipynb" "$dir/project/notebooks" python3 \
            --no-warnings)
        case $outcome in
            ok) ;;
            "FAIL(3)") [ "$notebooks" != ok ] || notebooks="warnings: $name" ;;
            *) notebooks="FAIL: $name" ;;
        esac
    done
    export PATH=${PATH#"$venv/bin:"}
    unset VIRTUAL_ENV

    resolved=$("$venv/bin/python" -c "$versions" 2>&1)
    seconds=$((SECONDS - started))
    result[$leg]="| $leg | $("$venv/bin/python" -V | cut -d' ' -f2) | ok | $tests | $run | $notebooks | ${seconds} s | $resolved |"
    echo "   ${result[$leg]}"
    [ "$tests $run $notebooks" = "ok ok ok" ] || failed=1
done

{
    echo
    echo "| leg | Python | install | pytest | kedro run | notebooks | time | resolved |"
    echo "|---|---|---|---|---|---|---|---|"
    for leg in "${legs[@]}"; do echo "${result[$leg]}"; done
} | tee "$work/results.md"
[ $failed -eq 0 ] || echo "matrix.sh: some legs failed; logs are in $work/<leg>/" >&2
exit $failed

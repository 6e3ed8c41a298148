# Shared set-up for scripts/demo and scripts/test: apt packages (when missing) and the venv.
# Usage: source scripts/_bootstrap.sh; ow_apt pkg...; ow_venv [extras]

ow_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "missing Debian packages: ${missing[*]} (install them as root)" >&2; return 1
        fi
    fi
    echo "installing Debian packages: ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# Run a command; show its output only if it fails.
ow_quiet() {
    local out
    out="$("$@" 2>&1)" || { echo "$out" >&2; return 1; }
}

ow_venv() {
    # ow_venv demo|test: the venv from requirements/<name>.txt (every package pinned with its
    # hashes: the same install on every machine), then the project itself, editable.
    local lock="requirements/${1:-demo}.txt"
    if ! python3 -c "import ensurepip" 2>/dev/null; then ow_apt python3-venv; fi
    [ -x .venv/bin/python ] || python3 -m venv .venv
    # Reinstall only when the lock or pyproject.toml changed since the last install.
    local stamp=".venv/.onewindow-${1:-demo}" want
    want="$(cat "$lock" requirements/tools.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "installing $lock into .venv"
        # uv (itself hash-locked in requirements/tools.txt, installed by pip) installs the
        # lock in seconds where pip takes a minute; the same pins and hashes either way.
        ow_quiet .venv/bin/python -m pip install -q --require-hashes --no-deps \
            -r requirements/tools.txt
        ow_quiet .venv/bin/uv pip install --python .venv/bin/python --require-hashes --no-deps \
            -r "$lock"
        ow_quiet .venv/bin/uv pip install --python .venv/bin/python --no-deps \
            --no-build-isolation -e .
        ow_quiet .venv/bin/python -m pip check
        echo "$want" > "$stamp"
    fi
}

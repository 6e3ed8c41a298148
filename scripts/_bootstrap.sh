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

ow_venv() {
    local extras="${1:-}"
    if ! python3 -c "import ensurepip" 2>/dev/null; then ow_apt python3-venv; fi
    [ -x .venv/bin/python ] || python3 -m venv .venv
    # Reinstall only when pyproject.toml changed since the last install.
    local stamp=".venv/.onewindow-installed${extras:+-$extras}"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        .venv/bin/python -m pip install -q --upgrade pip
        .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
        touch "$stamp"
    fi
}

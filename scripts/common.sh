# Shared by scripts/dev and scripts/test. Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CHECKOV_VENV="$ROOT/.venv-checkov"

# ensure_venv VENV REQUIREMENTS WHAT: installs REQUIREMENTS into VENV when missing or stale.
ensure_venv() {
    local venv=$1 requirements=$2 what=$3
    local stamp="$venv/.requirements"
    if [[ -x "$venv/bin/python" ]] && cmp -s "$requirements" "$stamp"; then
        return
    fi
    echo "==> installing $what into ${venv#"$ROOT"/} (once)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
}

# moto, cfn-lint and schemathesis.
ensure_python_tools() {
    ensure_venv "$VENV" "$ROOT/scripts/requirements.txt" "moto, cfn-lint and schemathesis"
}

# checkov, in a virtualenv of its own (its pins conflict with schemathesis').
ensure_checkov() {
    ensure_venv "$CHECKOV_VENV" "$ROOT/scripts/requirements-checkov.txt" "checkov"
}

# Spectral (npm), pinned with its dependencies in scripts/spectral/package-lock.json, installed
# into .tools/spectral.
SPECTRAL="$ROOT/.tools/spectral/node_modules/.bin/spectral"
ensure_spectral() {
    local dir="$ROOT/.tools/spectral"
    if [[ -x "$SPECTRAL" ]] && cmp -s "$ROOT/scripts/spectral/package-lock.json" "$dir/package-lock.json"; then
        return
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "==> installing Node.js and npm (once), for Spectral"
        apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    fi
    echo "==> installing Spectral into .tools/spectral (once)"
    mkdir -p "$dir"
    cp "$ROOT/scripts/spectral/package.json" "$ROOT/scripts/spectral/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
}

# GNU make: the contract tests ask the Makefile (what `sam build` runs) which binary each function is.
ensure_make() {
    if command -v make >/dev/null 2>&1; then
        return
    fi
    echo "==> installing make (once), for the contract tests"
    apt-get update -qq && apt-get install -y -qq make >/dev/null
}

# Debian's Chromium and ChromeDriver, for the console's browser tests.
ensure_chromium() {
    if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
        return
    fi
    echo "==> installing Chromium and ChromeDriver (once), for the browser tests"
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
}

# wait_for_port PORT SECONDS WHAT
wait_for_port() {
    local port=$1 seconds=$2 what=$3
    for _ in $(seq $((seconds * 10))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: $what did not listen on port $port within ${seconds}s" >&2
    return 1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

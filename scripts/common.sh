# Shared by scripts/dev and scripts/test. Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CHECKOV_VENV="$ROOT/.venv-checkov"

# Installs the pinned Python tools into the project's virtualenv when they are missing or stale.
ensure_python_tools() {
    local stamp="$VENV/.requirements"
    if [[ -x "$VENV/bin/python" ]] && cmp -s "$ROOT/scripts/requirements.txt" "$stamp"; then
        return
    fi
    echo "==> installing moto, cfn-lint and schemathesis into .venv (once)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
    cp "$ROOT/scripts/requirements.txt" "$stamp"
}

# checkov, in a virtualenv of its own (its pins conflict with schemathesis').
ensure_checkov() {
    local stamp="$CHECKOV_VENV/.requirements"
    if [[ -x "$CHECKOV_VENV/bin/checkov" ]] && cmp -s "$ROOT/scripts/requirements-checkov.txt" "$stamp"; then
        return
    fi
    echo "==> installing checkov into .venv-checkov (once)"
    python3 -m venv "$CHECKOV_VENV"
    "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements-checkov.txt"
    cp "$ROOT/scripts/requirements-checkov.txt" "$stamp"
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

#!/usr/bin/env bash
# Installs everything Vaultrun needs and starts the platform (API + worker + console).
# Needs Node 20+, and PostgreSQL + Redis reachable (see README). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "→ Installing pnpm $PNPM_VERSION"
  npm install --global --silent "pnpm@$PNPM_VERSION"
fi

echo "→ Installing dependencies"
pnpm install --frozen-lockfile --reporter=silent

exec node scripts/start.mjs "$@"

#!/usr/bin/env bash
# Make sure the tools needed to build and test this project are installed.
#
#   bash scripts/ensure-toolchain.sh native   # rustfmt + clippy (for cargo fmt/clippy/test)
#   bash scripts/ensure-toolchain.sh web      # native + wasm32 target, wasm-bindgen-cli, wasm-pack,
#                                             # Chromium/chromedriver (apt) and npm devDependencies
#
# Idempotent and fast when everything is present (only version checks, no installs, no network).
# Prints one line per thing it installs and finally "toolchain ok (<level>)".
# Works as root with no TTY (CI=true, no stdin). Only package registries are used
# (crates.io, npm, Debian apt): see docs of the machine setup, nothing is downloaded from elsewhere.
set -euo pipefail

# Versions. The wasm-bindgen CLI version MUST equal the `wasm-bindgen` crate version in Cargo.lock
# (pin it in Cargo.toml with `wasm-bindgen = "=0.2.130"`), otherwise the build fails with a
# "schema version" mismatch.
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
WASM_TARGET=wasm32-unknown-unknown

LEVEL="${1:-native}"
case "$LEVEL" in
  native|web) ;;
  *) echo "usage: $0 native|web" >&2; exit 2 ;;
esac

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# cargo-installed tools land in $CARGO_HOME/bin (default ~/.cargo/bin); CI shells may lack it on PATH.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi

die() { echo "ensure-toolchain: $*" >&2; exit 1; }

# install_step "what" cmd...: print one line, run cmd with its output in a log, show the log on failure.
LOG_DIR=""
cleanup() { if [ -n "$LOG_DIR" ]; then rm -rf "$LOG_DIR"; fi; }
trap cleanup EXIT
install_step() {
  local what="$1"; shift
  [ -n "$LOG_DIR" ] || LOG_DIR="$(mktemp -d)"
  local log="$LOG_DIR/install.log"
  echo "installing $what"
  if ! "$@" </dev/null >"$log" 2>&1; then
    echo "ensure-toolchain: FAILED installing $what; last output:" >&2
    tail -n 60 "$log" >&2
    return 1
  fi
}

# ------------------------------------------------------------------ native
command -v cargo >/dev/null 2>&1 \
  || die "cargo not found (expected rustup's toolchain in $CARGO_BIN); install Rust via rustup first"

missing_components=()
rustfmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
if [ "${#missing_components[@]}" -gt 0 ]; then
  command -v rustup >/dev/null 2>&1 || die "missing ${missing_components[*]} and rustup is not available"
  install_step "rustup components: ${missing_components[*]}" rustup component add "${missing_components[@]}"
  rustfmt --version >/dev/null 2>&1 || die "rustfmt still missing after install"
  cargo clippy --version >/dev/null 2>&1 || die "clippy still missing after install"
fi

if [ "$LEVEL" = native ]; then
  echo "toolchain ok (native)"
  exit 0
fi

# ------------------------------------------------------------------ web
# 1. wasm32 target (rustc's sysroot check is fast; `rustup target add` works offline when cached)
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$WASM_TARGET" ]; then
  command -v rustup >/dev/null 2>&1 || die "rust target $WASM_TARGET missing and rustup is not available"
  install_step "rustup target $WASM_TARGET" rustup target add "$WASM_TARGET"
fi

# 2. wasm-bindgen CLI (also provides wasm-bindgen-test-runner). Installing it ourselves stops
#    wasm-pack from trying to download it. `--locked` can fail here because a locked dependency
#    version is missing from the registry; then retry with a fresh resolution.
has_version() { # has_version <cmd> <expected full --version line>
  command -v "$1" >/dev/null 2>&1 && [ "$("$1" --version 2>/dev/null | head -n 1)" = "$2" ]
}
if ! has_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION" \
   || ! command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
  install_wasm_bindgen() {
    cargo install --force --locked "wasm-bindgen-cli@$WASM_BINDGEN_VERSION" \
      || { echo "--- --locked failed, retrying without --locked"; \
           cargo install --force "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"; }
  }
  install_step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install, ~3-4 min)" install_wasm_bindgen
  has_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION" \
    || die "wasm-bindgen $WASM_BINDGEN_VERSION not on PATH after install (got: $(wasm-bindgen --version 2>&1 || true))"
fi

# 3. wasm-pack
if ! has_version wasm-pack "wasm-pack $WASM_PACK_VERSION"; then
  install_step "wasm-pack $WASM_PACK_VERSION (cargo install, ~3 min)" \
    cargo install --force --locked "wasm-pack@$WASM_PACK_VERSION"
  has_version wasm-pack "wasm-pack $WASM_PACK_VERSION" \
    || die "wasm-pack $WASM_PACK_VERSION not on PATH after install (got: $(wasm-pack --version 2>&1 || true))"
fi

# 4. Chromium + chromedriver + fonts from Debian, in ONE apt-get install so the versions match.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  install_apt() {
    $SUDO apt-get update \
      && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
           chromium chromium-driver fonts-dejavu-core
  }
  install_step "chromium, chromium-driver, fonts-dejavu-core (apt-get)" install_apt
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    die "chromium/chromedriver missing after apt-get install"
  fi
fi

# 5. npm devDependencies (binaryen's wasm-opt, playwright-core, ...). Re-run `npm install` when
#    node_modules is missing or package.json / package-lock.json changed since the last install
#    (content hash kept in node_modules/.toolchain-stamp).
npm_stamp() { cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1; }
STAMP_FILE=node_modules/.toolchain-stamp
if [ ! -f "$STAMP_FILE" ] || [ "$(cat "$STAMP_FILE")" != "$(npm_stamp)" ]; then
  dep_count="$(node -e 'const p = JSON.parse(require("fs").readFileSync("package.json", "utf8"));
    console.log(Object.keys({ ...p.dependencies, ...p.devDependencies }).length)')"
  if [ "$dep_count" -gt 0 ]; then
    install_step "npm devDependencies (npm install)" \
      npm install --include=dev --no-audit --no-fund --no-progress
    [ -d node_modules ] || die "npm install did not create node_modules"
    npm_stamp >"$STAMP_FILE"
  fi
fi

# wasm-pack build --release needs a wasm-opt on PATH or it tries to download binaryen (fails here).
# Use npm's binaryen, never Debian's `binaryen` package (its wasm-opt 108 produces a module that
# fails at init() in the browser).
if [ ! -x node_modules/.bin/wasm-opt ] \
   && ! grep -Eq '^[[:space:]]*wasm-opt[[:space:]]*=[[:space:]]*false' Cargo.toml 2>/dev/null; then
  echo "ensure-toolchain: warning: node_modules/.bin/wasm-opt missing: add devDependency binaryen@132.0.0" \
       "(or set wasm-opt = false under [package.metadata.wasm-pack.profile.release] in Cargo.toml)," \
       "else 'wasm-pack build --release' fails" >&2
fi

echo "toolchain ok (web)"

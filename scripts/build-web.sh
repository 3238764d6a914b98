#!/usr/bin/env bash
# Builds the browser engine: wasm-pack --target web --release into pkg/, optimized for size
# (the native release profile stays tuned for speed; these overrides apply to this build only),
# then writes precompressed siblings (.br, brotli 11; .gz, gzip -9) of the .wasm and the .js.
# First, every time, the page's code: www/ bundled and minified into dist/www/ (scripts/build-js.mjs).
#
#   bash scripts/build-web.sh            build only when an input changed since the last build
#   bash scripts/build-web.sh --force    build anyway
#   bash scripts/build-web.sh --check    build nothing: exit 0 when pkg/ is up to date, 1 when not
#   (other arguments are passed to wasm-pack build, and are part of the stamp)
#
# pkg/ never holds a half-built module: the build goes to a temporary folder under target/, and replaces
# pkg/ only once it is complete (two renames: the old pkg/ is served until the new one is whole).
# pkg/.build-stamp lists the inputs of the build that made pkg/: the hash of every file in src/, of
# Cargo.toml, Cargo.lock, this script and compress.mjs (and build.rs, .cargo/config.toml, rust-toolchain(.toml)
# when present), the versions of rustc, wasm-pack, wasm-bindgen and wasm-opt, RUSTFLAGS and the arguments.
# When it equals the stamp of the current inputs, the build is skipped (it prints that and why).
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# npm's binaryen wasm-opt first on PATH (never Debian's binaryen: its output fails at init()).
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

MODE=auto
ARGS=()
for a in "$@"; do
  case "$a" in
    --force) MODE=force ;;
    --check) MODE=check ;;
    *) ARGS+=("$a") ;;
  esac
done

OUT=pkg
STAMP="$OUT/.build-stamp"
# What a complete pkg/ holds (the stamp is written last, into the temporary folder, before the swap).
OUTPUTS=(kafka_playground_bg.wasm kafka_playground.js kafka_playground_bg.wasm.br kafka_playground_bg.wasm.gz
         kafka_playground.js.br kafka_playground.js.gz)

mkdir -p target
WORK="$(mktemp -d "$ROOT/target/web-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# One build at a time (npm start and npm test in two terminals): the second waits, then finds it up to date.
if [ "$MODE" != check ] && command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/target/web-build.lock"
  if ! flock -n 9; then
    echo "build-web: waiting for another build-web.sh to finish"
    flock 9
  fi
fi

# The stamp: one "key<TAB>value" line per input, sorted by key.
one_line() { "$@" 2>/dev/null | tr '\n\t' '  ' | sed 's/ *$//' || true; }
stamp_inputs() {
  {
    printf 'tool:rustc\t%s\n' "$(one_line rustc -vV)"
    printf 'tool:wasm-pack\t%s\n' "$(one_line wasm-pack --version)"
    printf 'tool:wasm-bindgen\t%s\n' "$(one_line wasm-bindgen --version)"
    printf 'tool:wasm-opt\t%s\n' "$(one_line wasm-opt --version)"
    printf 'env:RUSTFLAGS\t%s\n' "${RUSTFLAGS:-}"
    printf 'env:CARGO_ENCODED_RUSTFLAGS\t%s\n' "${CARGO_ENCODED_RUSTFLAGS:-}"
    printf 'args\t%s\n' "${ARGS[*]:-}"
    local f
    for f in Cargo.toml Cargo.lock scripts/build-web.sh scripts/compress.mjs build.rs .cargo/config.toml \
             .cargo/config rust-toolchain rust-toolchain.toml; do
      [ -f "$f" ] && printf 'file:%s\t%s\n' "$f" "$(sha256sum < "$f" | cut -c1-64)"
    done
    find src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | awk '{ h = $1; sub(/^[^ ]+  /, ""); printf "file:%s\t%s\n", $0, h }'
  } | LC_ALL=C sort
}
stamp_inputs > "$WORK/stamp"
STAMP_ID="$(sha256sum < "$WORK/stamp" | cut -c1-12)"

# Why pkg/ is not up to date, or nothing when it is.
stale_reason() {
  [ -f "$STAMP" ] || { echo "no $STAMP (never built here, or built before stamps existed)"; return; }
  local f
  for f in "${OUTPUTS[@]}"; do [ -f "$OUT/$f" ] || { echo "$OUT/$f is missing"; return; }; done
  cmp -s "$STAMP" "$WORK/stamp" && return
  local changed
  changed="$(awk -F'\t' '
      NR == FNR { old[$1] = $2; next }
      !($1 in old) { print $1 " (new)"; next }
      old[$1] != $2 { print $1 }
      { delete old[$1] }
      END { for (k in old) print k " (removed)" }' "$STAMP" "$WORK/stamp" | sed 's/^[a-z]*://')"
  local n
  n="$(printf '%s\n' "$changed" | wc -l)"
  echo "changed since the last build: $(printf '%s\n' "$changed" | head -n 6 | paste -sd, - | sed 's/,/, /g')$([ "$n" -gt 6 ] && echo ", and $((n - 6)) more")"
}

# The page's code (dist/www/: www/ bundled and minified, scripts/build-js.mjs): always, it takes well under a second.
if [ "$MODE" != check ]; then
  mkdir -p dist
  node scripts/build-js.mjs
fi

REASON="$(stale_reason)"
if [ -z "$REASON" ] && [ "$MODE" != force ]; then
  SOURCES="$(grep -c '^file:src/' "$WORK/stamp") files in src/"
  TOOLS="$(awk -F'\t' '/^tool:/ {
      sub(/^tool:/, "", $1); n = split($2, v, " "); ver = "?"
      for (i = 2; i <= n; i++) if (v[i] ~ /^[0-9]/) { ver = v[i]; break }
      t = t (t ? ", " : "") $1 " " ver
    } END { print t }' "$WORK/stamp")"
  echo "pkg/ is up to date, build skipped (stamp $STAMP_ID, built $(date -r "$STAMP" '+%Y-%m-%d %H:%M:%S')):" \
       "no change in $SOURCES, Cargo.toml, Cargo.lock, scripts/build-web.sh, scripts/compress.mjs," \
       "RUSTFLAGS, the arguments, or $TOOLS. --force rebuilds."
  exit 0
fi
if [ "$MODE" = check ]; then
  echo "pkg/ is not up to date: $REASON"
  exit 1
fi
if [ "$MODE" = force ]; then
  echo "build-web: --force: building (stamp $STAMP_ID)${REASON:+; it was not up to date anyway: $REASON}"
else
  echo "build-web: building (stamp $STAMP_ID): $REASON"
fi

# wasm-pack's --out-dir is relative to the crate (ROOT); an absolute path is taken as it is.
# opt-level 2, not `s`: measured 2026-12-07 (BENCHMARKS.md, "The wasm build's opt-level"), the engine runs
# 44k -> 64k simulated records/s in Chromium (0.55x -> 0.79x native) for 555 -> 676 KB gzip (420 -> 497 KB
# brotli on the wire); `3` was slower than 2 and bigger.
CARGO_PROFILE_RELEASE_OPT_LEVEL=2 \
CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_PANIC=abort \
  wasm-pack build --target web --release --no-pack --out-dir "$WORK/pkg" ${ARGS[@]+"${ARGS[@]}"}

# The JS glue minified (esbuild, a devDependency): 39 KB → 14 KB; its exports keep their names.
esbuild "$WORK/pkg/kafka_playground.js" --minify --format=esm --charset=utf8 --log-level=warning \
  --allow-overwrite --outfile="$WORK/pkg/kafka_playground.js"
node scripts/compress.mjs "$WORK/pkg/kafka_playground_bg.wasm" "$WORK/pkg/kafka_playground.js"
for f in "${OUTPUTS[@]}"; do
  [ -f "$WORK/pkg/$f" ] || { echo "build-web: the build did not produce $f" >&2; exit 1; }
done
cp "$WORK/stamp" "$WORK/pkg/.build-stamp"

# The swap: the old pkg/ stays whole until the new one is; between the two renames pkg/ is briefly absent.
if [ -e "$OUT" ] || [ -L "$OUT" ]; then mv "$OUT" "$WORK/pkg.old"; fi
mv "$WORK/pkg" "$OUT"
echo "build-web: pkg/ replaced (stamp $STAMP_ID)"
# Again: index.html's bundle carries the glue, which just changed (until then scripts/serve.mjs serves www/).
node scripts/build-js.mjs

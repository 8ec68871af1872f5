#!/usr/bin/env bash
# Every test of the project (run by `npm test` after the bootstrap and the build).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "Lints: no unwrap, expect or panic on input paths (core and wasm boundary)"
cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

step "Rust core, native"
cargo test

step "Certificate check, native (feature certificate-inspection; PFX files made with openssl)"
cargo test --features certificate-inspection --lib certificate
cargo clippy --lib --features certificate-inspection --target wasm32-unknown-unknown -- -D warnings

step "wasm boundary in Node (wasm-bindgen-test)"
cargo test --target wasm32-unknown-unknown --tests

step "wasm boundary in headless Chromium (wasm-bindgen-test)"
WASM_BINDGEN_USE_BROWSER=1 cargo test --target wasm32-unknown-unknown --tests

step "TypeScript declarations (nodenext; node16 CommonJS; bundler; tsc's default lib), all without skipLibCheck"
for config in tsconfig.json tsconfig.node16-cjs.json tsconfig.bundler.json tsconfig.default-lib.json; do
  node node_modules/typescript/bin/tsc -p "tests/types/$config"
done

step "Size budget: the core module (wasm + JS glue + snippets) at most 246 KB gzipped (goal 150 KB), web and Node builds"
node scripts/size-check.mjs

step "Benchmark smoke: every part of npm run bench on its quick setting (timings are not checked)"
# --compare pkg: the before/after code path, with this build on both sides.
node bench/run.mjs --quick --compare pkg

step "JavaScript tests: package in Node, web build in Chromium, emulator"
shopt -s nullglob
node --test --test-concurrency=1 tests/js/*.test.mjs tests/emulator/*.test.mjs

step "Consumer matrix: the packed package in Node ESM/CJS, TypeScript (node16 CJS/ESM, bundler, nodenext), attw and publint, Vitest, Jest, and Vite/webpack/esbuild builds in Chromium"
node --test --test-concurrency=1 tests/consumers/*.test.mjs

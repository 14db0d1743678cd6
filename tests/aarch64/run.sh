#!/usr/bin/env bash
# The keystream's 64-bit ARM path (RustCrypto's chacha20 with NEON) against rand_chacha's
# words, the published known answer and the counter carry, built for aarch64-unknown-linux-gnu
# and run under QEMU's user-mode emulator: installs the target's standard library (rustup),
# Debian's cross linker and qemu-user, then runs the keystream crate's tests with NEON
# required (a skipped NEON path fails). `.ci/run` runs it (about half a minute once the
# packages are there).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=aarch64-unknown-linux-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    # Debian's packages, as root (as .ci/run's other scripts install theirs).
    apt-get update -q >/dev/null
    apt-get install -y -q qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CADRESIM_EXPECT_SIMD=neon
cargo clippy --target "$target" -p cadresim-keystream --all-targets -- -D warnings
cargo test --release --target "$target" -p cadresim-keystream

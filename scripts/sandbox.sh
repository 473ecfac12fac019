#!/usr/bin/env bash
# Make sure bubblewrap, the sandbox every user-code step runs in, is installed and can start here.
# Installs the Debian package as root; otherwise explains what is missing (the server still
# starts, but Python script, SQL and custom module steps fail, saying why, until it works).
set -euo pipefail
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing bubblewrap (the sandbox for user code)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null
  else
    echo "warning: bubblewrap is not installed and cannot be installed from here (it needs root" \
      "and apt-get): run 'sudo apt-get install bubblewrap'. Until then Python script, SQL and" \
      "custom module steps fail." >&2
    exit 0
  fi
fi
if ! problem=$(bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin \
  --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev /usr/bin/true 2>&1); then
  echo "warning: bubblewrap cannot start a sandbox here ($problem). Run the server as root, or" \
    "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1). Until" \
    "then Python script, SQL and custom module steps fail." >&2
fi

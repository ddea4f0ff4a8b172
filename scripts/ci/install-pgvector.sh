#!/usr/bin/env bash
# Builds and installs pgvector for the local PostgreSQL server from Debian's source package.
# pgvector has no binary package in bookworm; trixie's source (0.8.x) builds against PG 15 in seconds.
# Does nothing when the extension is already available to the server.
set -euo pipefail

PG_CONFIG="${PG_CONFIG:-}"
if [ -z "$PG_CONFIG" ]; then
  major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1 || true)"
  if [ -n "$major" ] && [ -x "/usr/lib/postgresql/$major/bin/pg_config" ]; then
    PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config"
  else
    PG_CONFIG="$(command -v pg_config || true)"
  fi
fi
if [ -z "$PG_CONFIG" ]; then
  echo "install-pgvector: no PostgreSQL server found (pg_config missing)" >&2
  exit 1
fi
sharedir="$("$PG_CONFIG" --sharedir)"
if [ -f "$sharedir/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed in $sharedir"
  exit 0
fi
major="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

src_list=/etc/apt/sources.list.d/pgvector-src.sources
if [ ! -f "$src_list" ]; then
  # Same archive and keyring as the machine's Debian list, source only, suite trixie.
  uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  key="$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  uri="${uri:-http://deb.debian.org/debian}"
  key="${key:-/usr/share/keyrings/debian-archive-keyring.gpg}"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" | $SUDO tee "$src_list" >/dev/null
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$major" build-essential dpkg-dev >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only pgvector >/dev/null
dpkg-source -x pgvector_*.dsc src >/dev/null
cd src
make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
$SUDO make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "install-pgvector: installed pgvector $(sed -nE "s/^default_version = '(.*)'/\1/p" vector.control) into PostgreSQL $major"

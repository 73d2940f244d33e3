#!/usr/bin/env bash
# Back up a Presave instance: the database, the instance secrets and the uploaded artwork.
# deploy/restore.sh sources this file for its settings functions (nothing runs then).
set -euo pipefail

backup_usage() {
  cat <<'USAGE'
Usage: deploy/backup.sh [DIR]

Writes a new folder DIR/presave-backup-<UTC time> (DIR: the current directory), mode 700:
  database.dump    pg_dump --format=custom of DATABASE_URL (only its schema when the URL
                   sets options=-csearch_path=<schema>)
  secrets/         the env file named by PRESAVE_ENV_FILE (as presave.env) and the secrets
                   generated once in the instance folder (secret_key, token_keys, ...)
  uploads.tar.gz   the uploads folder (artwork, artist images)
  manifest.txt     when, from where, the database's Alembic revision, the pg_dump version
and prints the folder's path on its last line.

Settings are read from PRESAVE_ENV_FILE (the services' EnvironmentFile, such as
/etc/presave/presave.env) when it is set, else from the environment: DATABASE_URL
(required), INSTANCE_PATH (default: the instance folder beside deploy/), UPLOAD_DIR
(default: INSTANCE_PATH/uploads).

The folder holds the keyring (TOKEN_KEYS): whoever has it can open every fan's streaming
tokens. Store it encrypted or offline, never beside the database it came from.
Restore it with deploy/restore.sh.
USAGE
}

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# What config.py generates once into the instance folder when the environment does not set it.
INSTANCE_SECRETS=(secret_key token_keys suppression_key apple_sandbox_key.pem)

# Exports KEY=VALUE lines as systemd reads an EnvironmentFile: comments and blank lines
# skipped, one pair of surrounding quotes removed. Never evaluated as shell, so a URL's & or $
# stays what it is. The file's values win over the environment: the scripts act on what the
# services use.
load_env_file() {
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in ''|'#'*|';'*) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    key="${key%"${key##*[![:space:]]}"}"; key="${key#export }"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "bad line in $1: $line" >&2; return 1; }
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    export "$key=$value"
  done < "$1"
}

# Sets PG_URL (DATABASE_URL as libpq takes it), PG_SCHEMA (when the URL scopes a schema),
# INSTANCE_PATH and UPLOAD_DIR, from the env file given (or PRESAVE_ENV_FILE) and the environment.
load_settings() {
  local file="${1:-${PRESAVE_ENV_FILE:-}}"
  if [ -n "$file" ]; then
    [ -r "$file" ] || { echo "cannot read the env file $file" >&2; return 1; }
    load_env_file "$file"
  fi
  : "${DATABASE_URL:?DATABASE_URL is not set (in the environment or PRESAVE_ENV_FILE)}"
  case "$DATABASE_URL" in
    postgres://*|postgresql://*|postgres+*://*|postgresql+*://*) ;;
    *) echo "DATABASE_URL is not PostgreSQL: back up a SQLite file by copying it" >&2; return 1 ;;
  esac
  # SQLAlchemy's driver suffix (postgresql+psycopg://) means nothing to libpq.
  PG_URL="postgresql://${DATABASE_URL#*://}"
  PG_SCHEMA=""
  local query decoded
  query="${PG_URL#*\?}"
  if [ "$query" != "$PG_URL" ]; then
    decoded="${query//%3D/=}"; decoded="${decoded//%3d/=}"; decoded="${decoded//%20/ }"
    decoded="${decoded//%2C/,}"; decoded="${decoded//%2c/,}"; decoded="${decoded//+/ }"
    if [[ "$decoded" =~ search_path=([A-Za-z_][A-Za-z0-9_]*) ]]; then
      PG_SCHEMA="${BASH_REMATCH[1]}"
    fi
  fi
  INSTANCE_PATH="${INSTANCE_PATH:-$PROJECT_DIR/instance}"
  UPLOAD_DIR="${UPLOAD_DIR:-$INSTANCE_PATH/uploads}"
}

redacted_url() {
  sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"
}

backup_main() {
  case "${1:-}" in -h|--help) backup_usage; return 0 ;; -*) backup_usage >&2; return 2 ;; esac
  [ $# -le 1 ] || { backup_usage >&2; return 2; }
  load_settings

  local out revision name
  out="${1:-.}/presave-backup-$(date -u +%Y%m%dT%H%M%SZ)"
  umask 077
  mkdir -p "$out/secrets"
  chmod 700 "$out"

  pg_dump --format=custom --no-owner --no-privileges ${PG_SCHEMA:+--schema="$PG_SCHEMA"} \
    --file="$out/database.dump" "$PG_URL"

  if [ -n "${PRESAVE_ENV_FILE:-}" ]; then
    cp "$PRESAVE_ENV_FILE" "$out/secrets/presave.env"
  fi
  for name in "${INSTANCE_SECRETS[@]}"; do
    if [ -f "$INSTANCE_PATH/$name" ]; then
      cp "$INSTANCE_PATH/$name" "$out/secrets/$name"
    fi
  done
  if [ -d "$UPLOAD_DIR" ]; then
    tar -C "$UPLOAD_DIR" -czf "$out/uploads.tar.gz" .
  fi

  revision="$(psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 \
    -c "SELECT version_num FROM alembic_version" 2>/dev/null || echo unknown)"
  {
    echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(hostname)"
    echo "database: $(redacted_url "$PG_URL")"
    echo "schema: ${PG_SCHEMA:-(the whole database)}"
    echo "alembic_revision: ${revision:-unknown}"
    echo "pg_dump: $(pg_dump --version)"
    echo "env_file: ${PRESAVE_ENV_FILE:-(none)}"
    echo "secrets: $(cd "$out/secrets" && ls | tr '\n' ' ')"
    echo "uploads: $([ -f "$out/uploads.tar.gz" ] && echo uploads.tar.gz || echo '(none)')"
  } > "$out/manifest.txt"
  echo "$out"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  backup_main "$@"
fi

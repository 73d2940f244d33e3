#!/usr/bin/env bash
# Restore a Presave instance from a folder written by deploy/backup.sh.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/restore.sh [--force] [--no-init] BACKUP_DIR

Puts back, from a folder written by deploy/backup.sh:
  1. the env file (secrets/presave.env) at PRESAVE_ENV_FILE, when that is set; its
     DATABASE_URL, INSTANCE_PATH and UPLOAD_DIR then say where everything else goes
     (without PRESAVE_ENV_FILE they come from the environment);
  2. the database: its schema (public, or the one DATABASE_URL names) emptied and filled
     from the dump (pg_restore --no-owner --no-privileges) in one transaction; a
     schema-scoped dump goes back into the schema it came from;
  3. the secrets generated in the instance folder (secret_key, token_keys, ...);
  4. the uploads;
  5. then runs `flask --app run init` (migrations to the code's head, roles, permissions)
     unless --no-init.

Refuses, changing nothing, when the database already has tables or an env file or secret
there differs from the backup's; --force replaces them (a replaced env file or secret is
kept beside it as <name>.before-restore).

Stop the services first (systemctl stop presave.target) and start them afterwards.
The backup holds the keyring (TOKEN_KEYS): without it the fans' streaming tokens are lost
and every grant has to be given again.
USAGE
}

force=0 init=1 backup=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --no-init) init=0 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$backup" ] || { usage >&2; exit 2; }; backup="$1" ;;
  esac
  shift
done
[ -n "$backup" ] || { usage >&2; exit 2; }
[ -f "$backup/database.dump" ] || { echo "$backup has no database.dump" >&2; exit 1; }

# shellcheck source=deploy/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup.sh"

env_copy="$backup/secrets/presave.env"
if [ -n "${PRESAVE_ENV_FILE:-}" ] && [ -f "$env_copy" ]; then
  load_settings "$env_copy"  # what the env file will say once it is back
else
  load_settings
fi

# Everything that would be replaced, before anything is.
conflicts=()
if [ -n "$PG_SCHEMA" ]; then
  scope="n.nspname = '$PG_SCHEMA'"
else
  scope="n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
fi
tables="$(psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 -c \
  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND $scope")"
[ "$tables" = 0 ] || conflicts+=("the database $(redacted_url "$PG_URL") has $tables tables")
secret_pairs=()
if [ -n "${PRESAVE_ENV_FILE:-}" ] && [ -f "$env_copy" ]; then
  secret_pairs+=("$env_copy" "$PRESAVE_ENV_FILE")
fi
for name in "${INSTANCE_SECRETS[@]}"; do
  [ -f "$backup/secrets/$name" ] && secret_pairs+=("$backup/secrets/$name" "$INSTANCE_PATH/$name")
done
for ((i = 0; i < ${#secret_pairs[@]}; i += 2)); do
  target="${secret_pairs[i + 1]}"
  if [ -e "$target" ] && ! cmp -s "${secret_pairs[i]}" "$target"; then
    conflicts+=("$target differs from the backup's")
  fi
done
if [ ${#conflicts[@]} -gt 0 ] && [ $force = 0 ]; then
  printf 'Refusing to restore over what is there (--force replaces it):\n' >&2
  printf '  %s\n' "${conflicts[@]}" >&2
  exit 1
fi

umask 077
for ((i = 0; i < ${#secret_pairs[@]}; i += 2)); do
  source_file="${secret_pairs[i]}" target="${secret_pairs[i + 1]}"
  mkdir -p "$(dirname "$target")"
  if [ -e "$target" ] && ! cmp -s "$source_file" "$target"; then
    cp -p "$target" "$target.before-restore"
  fi
  cp "$source_file" "$target"
  chmod 600 "$target"
done

# Emptied and filled in one transaction: a failed restore leaves the database as it was.
# (pg_restore --clean cannot drop a partitioned table's constraints on its partitions.)
if [ -n "$PG_SCHEMA" ]; then
  empty="DROP SCHEMA IF EXISTS \"$PG_SCHEMA\" CASCADE;"  # the dump makes it again
elif pg_restore --list "$backup/database.dump" | grep -q '^[0-9]*; [0-9]* [0-9]* SCHEMA - public '; then
  empty="DROP SCHEMA IF EXISTS public CASCADE;"
else
  empty="DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
fi
{ echo "$empty"; pg_restore --no-owner --no-privileges --file=- "$backup/database.dump"; } |
  psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 --single-transaction > /dev/null
echo "Restored the database ($(grep '^alembic_revision:' "$backup/manifest.txt" 2>/dev/null || echo 'revision unknown'))."

if [ -f "$backup/uploads.tar.gz" ]; then
  mkdir -p "$UPLOAD_DIR"
  tar -C "$UPLOAD_DIR" -xzf "$backup/uploads.tar.gz"
  echo "Restored the uploads into $UPLOAD_DIR."
fi

if [ $init = 1 ]; then
  flask="$PROJECT_DIR/.venv/bin/flask"
  [ -x "$flask" ] || flask="flask"
  (cd "$PROJECT_DIR" && "$flask" --app run init)
fi
echo "Restore done. Start the services: systemctl start presave.target"

#!/usr/bin/env bash
#
# backup-checkpoints.sh - copy new training checkpoints to the NAS and prune
# old ones locally.
#
# Usage:
#   ./backup-checkpoints.sh RUNS_DIR [KEEP]
#
#   RUNS_DIR  directory with one sub-directory per run, each containing
#             checkpoint-*.pt files
#   KEEP      how many newest checkpoints to keep locally per run (default 3)
#
# Run it from a systemd timer, not from cron in a tmux session: see the note
# on systemd units. Exit codes: 0 ok, 1 usage error, 2 NAS not mounted.

# -e: stop on the first failing command
# -u: unset variables are errors (catches typos like $RUN_DIR vs $RUNS_DIR)
# -o pipefail: a pipeline fails if any part fails, not only the last one
set -euo pipefail

RUNS_DIR=${1:?usage: $0 RUNS_DIR [KEEP]}
KEEP=${2:-3}
NAS=/mnt/nas/checkpoints
LOG_TAG=backup-checkpoints

log() {
    # Write to the journal when available, otherwise to stderr.
    if command -v systemd-cat >/dev/null 2>&1; then
        echo "$*" | systemd-cat -t "$LOG_TAG"
    fi
    echo "$(date '+%F %T') $*" >&2
}

# Refuse to run if the NAS is not mounted. Without this check, rsync would
# happily fill the local /mnt/nas directory on the root disk.
if ! mountpoint -q "$NAS"; then
    log "NAS not mounted at $NAS, aborting"
    exit 2
fi

# Quote every expansion: run names may contain spaces.
for run in "$RUNS_DIR"/*/; do
    [ -d "$run" ] || continue          # the glob matched nothing
    name=$(basename "$run")

    # -a: keep times and permissions; --partial: resume large files;
    # trailing slash on the source copies its contents, not the dir itself.
    rsync -a --partial "$run" "$NAS/$name/"
    log "synced $name"

    # List checkpoints newest first, NUL-separated so odd names survive,
    # skip the newest $KEEP, delete the rest. Only after a successful rsync
    # (set -e guarantees we don't get here if rsync failed).
    find "$run" -maxdepth 1 -name 'checkpoint-*.pt' -printf '%T@ %p\0' \
        | sort -z -rn \
        | tail -z -n +"$((KEEP + 1))" \
        | cut -z -d' ' -f2- \
        | xargs -0 -r rm -v --
done

log "done"

#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine (localhost), for the Slurm test and for
# trying scripts/slurm/isobench_array.sbatch without a real cluster. Needs root and Debian's
# slurm-wlm and munge packages (slurmctld, slurmd, slurm-client, munge).
#
# usage: local_cluster.sh start DIR   write DIR/slurm.conf and a fresh MUNGE key, start munged,
#                                     slurmctld and slurmd (each in the foreground of a background
#                                     job, pids in DIR/pids), wait until the node is idle; then
#                                     `export SLURM_CONF=DIR/slurm.conf` points sbatch/squeue at it
#        local_cluster.sh stop DIR    stop the daemons listed in DIR/pids (only those)
#
# Exit codes of start: 0 running; 3 cannot be started here (the reason on stderr, the daemons'
# logs in DIR/*.log) — after which nothing it started is left running.
# Everything lives in DIR: no cgroups (proctrack/linuxproc, task/none), no accounting, state and
# spool under DIR, ports chosen free on 127.0.0.1; the system's /etc/slurm and /etc/munge are not
# used. DIR must not be world-writable (munged checks), e.g. made by `mktemp -d`.
set -euo pipefail

die_start() {
  echo "local_cluster: cannot start Slurm here: $*" >&2
  stop_all "$DIR" || true
  exit 3
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p tries=0
  while [ $tries -lt 50 ]; do
    p=$((20000 + (RANDOM % 20000)))
    if port_free "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
    tries=$((tries + 1))
  done
  return 1
}

# The processes of this cluster's jobs, never the caller's: each slurmstepd of this cluster (its
# environment is overwritten by its process title, but it keeps DIR/slurmd.log open) and each job
# process (its environment names DIR/slurm.conf and a SLURM_JOB_ID).
job_pids() {
  local dir="$1" p pid fd
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    [ "$pid" = "$$" ] && continue
    if [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ]; then
      for fd in "$p"/fd/*; do
        case "$(readlink "$fd" 2>/dev/null)" in "$dir"/*) echo "$pid"; break ;; esac
      done
    elif tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx -- "SLURM_CONF=$dir/slurm.conf" \
         && tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -q '^SLURM_JOB_ID='; then
      echo "$pid"
    fi
  done
}

stop_all() {
  local dir="$1" pid
  [ -f "$dir/pids" ] || return 0
  if [ -f "$dir/slurm.conf" ]; then
    # Cancel what still runs, give it KillWait to go, then end whatever is left of it.
    local left
    if SLURM_CONF="$dir/slurm.conf" timeout 5 scancel --quiet --user="$(id -un)" 2>/dev/null; then
      for _ in $(seq 1 50); do
        left="$(SLURM_CONF="$dir/slurm.conf" timeout 2 squeue -h -t running,completing 2>/dev/null)" \
          || break
        [ -z "$left" ] && break
        sleep 0.2
      done
    fi
  fi
  # Reverse start order: slurmd, slurmctld, munged.
  for pid in $(tac "$dir/pids"); do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $(cat "$dir/pids"); do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in $(job_pids "$dir"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

start() {
  [ "$(id -u)" -eq 0 ] || die_start "slurmd and munged need root here (running as $(id -un))"
  local t
  for t in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$t" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null 2>&1 \
      || die_start "'$t' not found (apt-get install slurm-wlm munge, or ./isobench deps)"
  done
  export PATH="$PATH:/usr/sbin:/sbin"
  mkdir -p "$DIR"/{munge,state,spool,run}
  chmod 0755 "$DIR" "$DIR/munge"
  : >"$DIR/pids"

  # MUNGE: our own key and socket, so a system munged (or none) does not matter.
  mungekey -c -f -b 1024 -k "$DIR/munge/munge.key" 2>"$DIR/mungekey.log" \
    || die_start "mungekey failed: $(cat "$DIR/mungekey.log")"
  munged -F --force --socket="$DIR/munge/munge.sock" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" \
    --log-file="$DIR/munged.log" >"$DIR/munged.out" 2>&1 &
  echo $! >>"$DIR/pids"
  local ok=0
  for _ in $(seq 1 50); do
    if munge -S "$DIR/munge/munge.sock" -n 2>/dev/null | unmunge -S "$DIR/munge/munge.sock" >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 0.1
  done
  [ $ok -eq 1 ] || die_start "munged did not come up: $(tail -5 "$DIR/munged.out")"

  local ctld_port slurmd_port
  ctld_port="$(pick_port)" || die_start "no free port"
  slurmd_port="$(pick_port "$ctld_port")" || die_start "no free port"
  local cpus; cpus="$(nproc)"
  cat >"$DIR/slurm.conf" <<EOF
# Written by scripts/slurm/local_cluster.sh: a single-node cluster on localhost.
ClusterName=isobench-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.sock
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1024 State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$DIR/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" >"$DIR/slurmctld.out" 2>&1 &
  echo $! >>"$DIR/pids"
  ok=0
  for _ in $(seq 1 100); do
    if scontrol ping 2>/dev/null | grep -q "UP"; then ok=1; break; fi
    kill -0 "$(sed -n 2p "$DIR/pids")" 2>/dev/null || break
    sleep 0.2
  done
  [ $ok -eq 1 ] || die_start "slurmctld did not come up: $(tail -5 "$DIR/slurmctld.log" 2>/dev/null || tail -5 "$DIR/slurmctld.out")"

  slurmd -D -N localhost -f "$SLURM_CONF" >"$DIR/slurmd.out" 2>&1 &
  echo $! >>"$DIR/pids"
  ok=0
  local state=""
  for _ in $(seq 1 150); do
    state="$(sinfo -h -n localhost -o %T 2>/dev/null || true)"
    case "$state" in idle*) ok=1; break ;; esac
    kill -0 "$(sed -n 3p "$DIR/pids")" 2>/dev/null || break
    sleep 0.2
  done
  [ $ok -eq 1 ] || die_start "slurmd did not register (node state '${state}'): $(tail -5 "$DIR/slurmd.log" 2>/dev/null || tail -5 "$DIR/slurmd.out")"
  echo "export SLURM_CONF=$SLURM_CONF"
}

cmd="${1:-}"
DIR="${2:-}"
[ -n "$cmd" ] && [ -n "$DIR" ] || { sed -n '2,16p' "$0" >&2; exit 2; }
DIR="$(mkdir -p "$DIR" && cd "$DIR" && pwd)"
case "$cmd" in
  start) start ;;
  stop) stop_all "$DIR" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac

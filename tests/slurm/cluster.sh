#!/usr/bin/env bash
# tests/slurm/cluster.sh -- a throwaway one-node Slurm cluster on 127.0.0.1
# for tests (Debian slurm-wlm + munge, no systemd; must run as root).
#
#   tests/slurm/cluster.sh up DIR     start munged (unless one answers), slurmctld, slurmd;
#                                     write DIR/slurm.conf; wait until the node is idle
#   tests/slurm/cluster.sh down DIR   cancel our jobs, stop what `up` started (by PID)
#
# Clients must use the configuration: export SLURM_CONF=DIR/slurm.conf.
# Everything (state, spool, logs, pid files) lives in DIR, and the ports are
# picked free at start, so this cluster does not touch /etc/slurm and can
# run beside another one. Exit status of `up`: 0 ready, 1 failed (logs shown,
# daemons stopped), 77 Slurm or munge not installed / not root.
set -u
cmd=${1:-}; D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 up|down DIR" >&2; exit 2; }
mkdir -p "$D"; D=$(cd "$D" && pwd)
CONF=$D/slurm.conf
export SLURM_CONF=$CONF
say() { echo "# slurm-cluster: $*" >&2; }

# alive PIDFILE NAME: the pid in PIDFILE if that process is still NAME
alive() {
  local p; p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] && echo "$p"
}

stop() { # stop PIDFILE NAME: TERM, wait up to 5 s, KILL
  local p i
  p=$(alive "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  rm -f "$1"
}

down() {
  if alive "$D/slurmctld.pid" slurmctld >/dev/null; then
    timeout 10 scancel --user=root >/dev/null 2>&1 || true
  fi
  stop "$D/slurmd.pid" slurmd
  stop "$D/slurmctld.pid" slurmctld
  stop "$D/munged.pid" munged   # only if this script started it
}

free_port() { # first port from $1 up that nothing listens on
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

fail() {
  say "$*"
  local f
  for f in "$D"/log/*; do [ -s "$f" ] && { echo "## tail $f" >&2; tail -n 15 "$f" >&2; }; done
  down; exit 1
}

up() {
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 77; }
  local b
  for b in slurmctld slurmd munged sbatch; do
    command -v $b >/dev/null || [ -x /usr/sbin/$b ] || { say "$b not installed (apt-get install slurm-wlm munge)"; exit 77; }
  done
  down
  rm -rf "$D/state" "$D/spool" "$D/log"; mkdir -p "$D/state" "$D/spool" "$D/log"
  # munge: reuse a running daemon (same key file), else start one as user munge
  if ! { munge -n | unmunge; } >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
    install -d -o munge -g munge -m 0755 /run/munge /var/lib/munge
    [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
    rm -f /run/munge/munged.pid
    # --origin: the host name need not resolve
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid --origin=127.0.0.1 \
      >"$D/log/munged.stderr" 2>&1 || fail "munged did not start"
    local i; for i in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$D/munged.pid"
    { munge -n | unmunge; } >/dev/null 2>&1 || fail "munge does not answer"
  fi
  local node hw cpus mem ctl_port d_port bind=""
  node=$(hostname -s)
  hw=$(/usr/sbin/slurmd -C 2>/dev/null | head -n 1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw"); cpus=${cpus:-1}
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw"); mem=$(( ${mem:-1000} * 8 / 10 ))
  ctl_port=$(free_port 16817); d_port=$(free_port $((ctl_port + 1)))
  # bind to loopback only when the host name resolves there (else slurmctld cannot start)
  getent ahostsv4 "$(hostname)" 2>/dev/null | awk '{print $1; exit}' | grep -q '^127\.' \
    && bind="CommunicationParameters=NoCtldInAddrAny,NoInAddrAny"
  cat >"$CONF" <<CONF
# written by tests/slurm/cluster.sh
ClusterName=winnowtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# schedule at once, not every few seconds: jobs chained by dependencies start quickly
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MailProg=/bin/true
$bind
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/state/slurmctld.pid.internal
SlurmdPidFile=$D/spool/slurmd.pid.internal
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  # -D: stay in the foreground, so $! is the daemon; setsid: Ctrl-C of the test does not reach it
  setsid /usr/sbin/slurmctld -D -f "$CONF" </dev/null >"$D/log/slurmctld.stderr" 2>&1 &
  echo $! >"$D/slurmctld.pid"
  setsid /usr/sbin/slurmd -D -f "$CONF" </dev/null >"$D/log/slurmd.stderr" 2>&1 &
  echo $! >"$D/slurmd.pid"
  local st="" t=$((SECONDS + 60))
  while [ $SECONDS -lt $t ]; do
    # kill -0, not alive(): for an instant after the fork the process is still called setsid
    kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null || fail "slurmctld exited"
    kill -0 "$(cat "$D/slurmd.pid")" 2>/dev/null || fail "slurmd exited"
    st=$(timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null)
    [ "$st" = idle ] && { say "up: node $node idle (ports $ctl_port/$d_port, $cpus CPUs)"; return 0; }
    sleep 0.2
  done
  fail "node is '$st' after 60 s"
}

case $cmd in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac

# Sourced by the *_cpu.sh benches: the dashboard's CPU time and context switches (all its
# threads) over a while, read from /proc for the process running in tmux pane `t` of socket
# $1. Sets CPU_MS and SWITCHES.
#   dashboard_cpu SOCKET SECONDS
dashboard_cpu() {
  local sock=$1 secs=$2 pid t0 t1 s0 s1
  pid=$(pgrep -P "$(tmux -L "$sock" display -p -t t '#{pane_pid}')" || tmux -L "$sock" display -p -t t '#{pane_pid}')
  ticks() { awk '{print $14+$15}' "/proc/$pid/stat"; }
  switches() { cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
  t0=$(ticks); s0=$(switches)
  sleep "$secs"
  t1=$(ticks); s1=$(switches)
  CPU_MS=$(( (t1 - t0) * 1000 / $(getconf CLK_TCK) ))
  SWITCHES=$(( s1 - s0 ))
}

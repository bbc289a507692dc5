#!/usr/bin/env bash
# with-xvfb.sh COMMAND...
# Runs COMMAND on a private X server (Xvfb on the first free display number)
# with Mesa's software OpenGL, and always stops the server afterwards, also
# when COMMAND fails or this script is interrupted. COMMAND's exit status is
# this script's.
set -u
if ! command -v Xvfb >/dev/null; then
  echo "with-xvfb: Xvfb is not installed (apt-get install xvfb)" >&2
  exit 1
fi
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# -displayfd: Xvfb picks a free display itself and writes its number when it is ready.
# `timeout` bounds its life even if this script is killed outright.
timeout 900 Xvfb -displayfd 3 -screen 0 1920x1200x24 -nolisten tcp 3>"$dir/display" 2>"$dir/xvfb.log" &
pid=$!
for _ in $(seq 1 200); do
  [ -s "$dir/display" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-xvfb: Xvfb did not start: $(tail -n 3 "$dir/xvfb.log" | tr '\n' ' ')" >&2
    exit 1
  fi
  sleep 0.05
done
if [ ! -s "$dir/display" ]; then
  echo "with-xvfb: Xvfb gave no display number within 10 s" >&2
  exit 1
fi
DISPLAY=":$(head -n 1 "$dir/display")" LIBGL_ALWAYS_SOFTWARE=1 "$@"

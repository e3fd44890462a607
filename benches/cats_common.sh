# Shared by the cat runs' scripts (sourced, not run): what every run does before it trains.
# Needs: repo, data_src, cache, run.

# Leave if a run is already going in $run (another, branched from it, may go in its own folder).
exit_if_running() {
  local pid
  for pid in $(pgrep -f "pix2paint-train train" || true); do
    if [ "$(readlink "/proc/$pid/cwd")" = "$run" ]; then
      echo "the run is already going: $run/train.log"
      exit 0
    fi
  done
}

# Symlink folders of the cat photos split by train.txt / test.txt ($cache/cats-train, -test);
# the photos stay in ../shared.
link_splits() {
  local split dir name
  for split in train test; do
    dir="$cache/cats-$split"
    mkdir -p "$dir"
    while read -r name; do
      [ -e "$dir/$name.jpg" ] || ln -s "$data_src/photos/$name.jpg" "$dir/$name.jpg"
    done < "$data_src/$split.txt"
  done
}

# Copy the release binary into $run, so later builds never touch the running one.
copy_binary() {
  local bin="$repo/target/release/pix2paint"
  mkdir -p "$run"
  [ -x "$bin" ] || (cd "$repo" && cargo build --release)
  cp "$bin" "$run/pix2paint-train.new" && mv "$run/pix2paint-train.new" "$run/pix2paint-train"
}

# Sourced by ci/fuzz.sh and ci/fuzz-ratio.sh: libFuzzer flags from a
# target's .options file ([libfuzzer] key = value), read from $build/fuzz/.
options_flags() {
  local file="$build/fuzz/$1.options" key value
  [ -f "$file" ] || return 0
  sed -nE 's/^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1 \2/p' "$file" |
    while read -r key value; do
      [ "$key" = dict ] && value="$build/fuzz/$value"
      printf -- '-%s=%s\n' "$key" "$value"
    done
}

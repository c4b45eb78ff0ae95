#!/usr/bin/env bash
# Fails when the repository holds something that only works on one machine:
# a tracked symlink that points outside the tree (or is absolute), or a
# tracked build output directory. A fresh clone must build as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
while IFS= read -r -d '' path; do
    link=$(git cat-file -p "HEAD:$path" 2>/dev/null || readlink "$path")
    resolved=$(realpath -m "$(dirname "$path")/$link")
    case "$link" in
        /*) echo "check-tree: $path is a symlink to the absolute path $link" >&2; status=1 ;;
        *) case "$resolved" in
               "$PWD"/*) ;;
               *) echo "check-tree: $path is a symlink leaving the tree ($link)" >&2; status=1 ;;
           esac ;;
    esac
done < <(git ls-files -s -z | awk -v RS='\0' -v ORS='\0' '$1 == "120000" { sub(/^[^\t]*\t/, ""); print }')

for dir in target ui/dist ui/node_modules tests/interop/node_modules; do
    if [ -n "$(git ls-files -- "$dir" | head -1)" ]; then
        echo "check-tree: $dir is build output and must not be tracked" >&2
        status=1
    fi
done
exit $status

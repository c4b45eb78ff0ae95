#!/usr/bin/env bash
# Regenerates icons/ from one drawing: four rooms on the accent colour, two of
# them dimmed (the same motif as the UI's brand mark). RGBA PNGs because the
# Linux window icon and the bundler need an alpha channel; icon.ico for a
# Windows build. Needs ImageMagick (scripts/setup.sh desktop installs it).
set -euo pipefail
cd "$(dirname "$0")/../icons"
tmp=$(mktemp --suffix=.png)
trap 'rm -f "$tmp"' EXIT
convert -size 1024x1024 xc:none \
    -fill '#4656d1' -draw "roundrectangle 64,64 960,960 200,200" \
    -fill 'rgba(255,255,255,1.0)' -draw "roundrectangle 232,232 490,490 56,56" \
    -fill 'rgba(255,255,255,0.55)' -draw "roundrectangle 534,232 792,490 56,56" \
    -fill 'rgba(255,255,255,0.55)' -draw "roundrectangle 232,534 490,792 56,56" \
    -fill 'rgba(255,255,255,1.0)' -draw "roundrectangle 534,534 792,792 56,56" \
    "PNG32:$tmp"
size() { convert "$tmp" -filter Lanczos -resize "$1x$1" "PNG32:$2"; }
size 32 32x32.png
size 64 64x64.png
size 128 128x128.png
size 256 128x128@2x.png
size 512 icon.png
convert "$tmp" -define icon:auto-resize=256,128,64,48,32,16 icon.ico
echo "icons: $(ls | tr '\n' ' ')"

#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (run by hand when
# upgrading; the console itself never needs npm or the internet).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=fwconsole/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent bootstrap@5.3.8 chart.js@4.5.1 >/dev/null)
for tarball in "$work"/*.tgz; do tar xzf "$tarball" -C "$work" --one-top-level; done
cp "$work"/bootstrap-5.3.8/package/dist/css/bootstrap.min.css \
   "$work"/bootstrap-5.3.8/package/dist/js/bootstrap.bundle.min.js \
   "$work"/bootstrap-5.3.8/package/LICENSE "$dest/bootstrap/"
cp "$work"/chart.js-4.5.1/package/dist/chart.umd.min.js "$dest/chartjs/"
cp "$work"/chart.js-4.5.1/package/LICENSE.md "$dest/chartjs/"
# Source maps are not shipped; their references would only 404.
sed -i 's|/\*# sourceMappingURL=[^*]*\*/||; s|//# sourceMappingURL=.*$||' \
  "$dest"/bootstrap/bootstrap.min.css "$dest"/bootstrap/bootstrap.bundle.min.js \
  "$dest"/chartjs/chart.umd.min.js
echo "vendored files refreshed in $dest"

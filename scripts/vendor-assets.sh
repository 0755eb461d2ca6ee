#!/usr/bin/env bash
# Copy the pinned front-end packages (package.json / package-lock.json) into minga/static/vendor/.
# Run it after changing a version; commit the copied files, so the app never needs npm or a CDN at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --ignore-scripts
else
  npm install --no-audit --no-fund --ignore-scripts
fi

VENDOR=minga/static/vendor
rm -rf "$VENDOR"
mkdir -p "$VENDOR/htmx" "$VENDOR/leaflet" "$VENDOR/cytoscape" "$VENDOR/swagger-ui"

cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx/"
cp node_modules/htmx.org/LICENSE "$VENDOR/htmx/LICENSE"

cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$VENDOR/leaflet/"
cp -r node_modules/leaflet/dist/images "$VENDOR/leaflet/images"
cp node_modules/leaflet/LICENSE "$VENDOR/leaflet/LICENSE"

cp node_modules/cytoscape/dist/cytoscape.min.js "$VENDOR/cytoscape/"
cp node_modules/cytoscape/LICENSE "$VENDOR/cytoscape/LICENSE"

# The API docs page (/api/v1/docs); source-map comments dropped since the maps are not vendored.
for f in swagger-ui.css swagger-ui-bundle.js; do
  sed '/^\/[/*]# sourceMappingURL=/d' "node_modules/swagger-ui-dist/$f" > "$VENDOR/swagger-ui/$f"
done
cp node_modules/swagger-ui-dist/LICENSE "$VENDOR/swagger-ui/LICENSE"

# One line per package: what was vendored, at which version.
node -e '
const pkgs = ["htmx.org", "leaflet", "cytoscape", "swagger-ui-dist"];
const lines = pkgs.map(p => `${p} ${require(`./node_modules/${p}/package.json`).version}`);
require("fs").writeFileSync(process.argv[1], lines.join("\n") + "\n");
' "$VENDOR/VERSIONS.txt"
cat "$VENDOR/VERSIONS.txt"

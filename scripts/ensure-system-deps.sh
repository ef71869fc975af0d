#!/usr/bin/env bash
# Finds or installs the system tools the tests start their own instances of (on free 127.0.0.1
# ports, in temp dirs): Chromium, Mosquitto, PostgreSQL, Redis and RabbitMQ.
#
# - All present: exits 0 silently.
# - Missing and root: installs them with apt-get (Debian), then stops the services the packages
#   start on their own (the tests never use them).
# - Missing and not root: prints one line per missing tool saying how to get it, exits 1.
set -euo pipefail

# name | Debian package | found when this succeeds
tools=(
  "chromium|chromium|test -x /usr/bin/chromium || command -v chromium"
  "mosquitto|mosquitto|test -x /usr/sbin/mosquitto || command -v mosquitto"
  "postgresql|postgresql|compgen -G '/usr/lib/postgresql/*/bin/postgres' || command -v postgres"
  "redis-server|redis-server|command -v redis-server || test -x /usr/bin/redis-server"
  "rabbitmq-server|rabbitmq-server|test -x /usr/sbin/rabbitmq-server || command -v rabbitmq-server"
)
# The services Debian starts when each package is installed.
services=(mosquitto postgresql redis-server rabbitmq-server)

missing=()
for tool in "${tools[@]}"; do
  IFS='|' read -r name package probe <<<"$tool"
  bash -c "$probe" >/dev/null 2>&1 || missing+=("$name|$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  for entry in "${missing[@]}"; do
    IFS='|' read -r name package <<<"$entry"
    echo "missing: $name — install it with: sudo apt-get install -y $package (or run npm test as root to install it automatically)" >&2
  done
  exit 1
fi

packages=()
for entry in "${missing[@]}"; do packages+=("${entry#*|}"); done
echo "Installing Debian packages the tests need: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for service in "${services[@]}"; do
  for entry in "${missing[@]}"; do
    [ "${entry#*|}" = "$service" ] || continue
    if command -v systemctl >/dev/null 2>&1 && systemctl stop "$service" >/dev/null 2>&1; then continue; fi
    service "$service" stop >/dev/null 2>&1 || true
  done
done

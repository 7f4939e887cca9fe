#!/usr/bin/env bash
# Generates secrets, creates the first admin API key and starts Waygate with docker compose.
#   ./quickstart.sh          gateway on http://127.0.0.1:3000
#   ./quickstart.sh --ssl    plus nginx with a self-signed certificate on https://localhost:443
set -euo pipefail

cd "$(dirname "$0")"

ssl=false
for arg in "$@"; do
  case "$arg" in
    --ssl) ssl=true ;;
    -h | --help)
      sed -n '2,4p' "$0"
      exit 0
      ;;
    *)
      echo "quickstart.sh: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "quickstart.sh: '$1' is required: $2" >&2
    exit 1
  }
}
need docker "install Docker Engine with the compose plugin"
docker compose version >/dev/null 2>&1 || {
  echo "quickstart.sh: 'docker compose' is required: install the Docker compose plugin" >&2
  exit 1
}

random_hex() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex 32
  else
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
  fi
}

if [ ! -f .env ]; then
  umask 077
  {
    echo "# Written by quickstart.sh. Keep this file secret; API-key hashes depend on WAYGATE_SECRET_KEY."
    echo "WAYGATE_SECRET_KEY=$(random_hex)"
  } >.env
  echo "wrote .env with a new WAYGATE_SECRET_KEY"
else
  echo "keeping the existing .env"
fi
if ! grep -q '^WAYGATE_ALLOWED_HOSTS=' .env; then
  {
    echo "# The host names clients use to reach the gateway (comma-separated); add yours when it is not local."
    echo "WAYGATE_ALLOWED_HOSTS=localhost"
  } >>.env
  echo "set WAYGATE_ALLOWED_HOSTS=localhost in .env (add the names clients use)"
fi

if [ ! -f waygate.json ]; then
  printf '{\n  "mcpServers": {},\n  "plugins": []\n}\n' >waygate.json
  echo "wrote an empty waygate.json (add servers under mcpServers)"
fi

profiles=()
if [ "$ssl" = true ]; then
  need openssl "it generates the self-signed certificate"
  mkdir -p certs
  if [ ! -f certs/tls.crt ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
      -keyout certs/tls.key -out certs/tls.crt >/dev/null 2>&1
    echo "wrote a self-signed certificate to certs/ (replace it with a real one)"
  fi
  profiles=(--profile ssl)
fi

docker compose "${profiles[@]}" build

# Production refuses to start without a key, so the first admin key is created before the first start.
if ! docker compose run --rm --no-deps waygate keys list --json | grep -q '"status": "active"'; then
  echo "creating the first admin key (shown once: store it now)"
  docker compose run --rm --no-deps waygate keys create --name admin --scopes admin
fi

docker compose "${profiles[@]}" up -d --wait
if [ "$ssl" = true ]; then
  echo "Waygate is up: https://localhost/mcp (self-signed certificate)"
else
  echo "Waygate is up: http://127.0.0.1:3000/mcp"
fi

#!/usr/bin/env bash
# Prints a development token for a user: an HS256 JWT (sub, iss=chat, iat, exp) signed with
# CHAT_JWT_SECRET, taken from the environment or else from run/local.env, which
# deploy/local/run.sh writes for the system it is running.
#
# Usage: deploy/local/token.sh USER [SECONDS_VALID]    (default 43200: 12 hours)
set -euo pipefail

user=${1:-}
ttl=${2:-43200}
[[ $user =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || { echo "usage: $0 USER [SECONDS_VALID]  (USER: [A-Za-z0-9_.-]{1,64})" >&2; exit 2; }
[[ $ttl =~ ^[0-9]+$ ]] || { echo "SECONDS_VALID must be a number" >&2; exit 2; }

secret=${CHAT_JWT_SECRET:-}
if [ -z "$secret" ]; then
  env_file="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/run/local.env"
  [ -r "$env_file" ] && secret=$(sed -n 's/^CHAT_JWT_SECRET=//p' "$env_file")
fi
[ -n "$secret" ] || { echo "CHAT_JWT_SECRET is not set and run/local.env has none: start deploy/local/run.sh first" >&2; exit 1; }

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

now=$(date +%s)
header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
payload=$(printf '{"sub":"%s","iss":"chat","iat":%d,"exp":%d}' "$user" "$now" $((now + ttl)) | b64url)
signature=$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
printf '%s.%s.%s\n' "$header" "$payload" "$signature"

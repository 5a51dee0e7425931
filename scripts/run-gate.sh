#!/usr/bin/env bash
# The action's gate step: turns the action's inputs (GATE_IN_<INPUT>, from action.yml's
# env: mapping) into the gate's environment, then runs the gate; the step's exit code is
# the gate's. An empty input is left out, so variables set on the job still apply.
set -euo pipefail

: "${GATE_BIN:?the install step did not report a binary}"

for name in $(compgen -e | grep '^GATE_IN_' || true); do
  value="${!name}"
  input="${name#GATE_IN_}"
  unset "$name"
  [ -n "$value" ] || continue
  case "$input" in
    TOKEN) variable=SERVICESTAGE_TOKEN ;;
    ACCESS_KEY) variable=HUAWEICLOUD_SDK_AK ;;
    SECRET_KEY) variable=HUAWEICLOUD_SDK_SK ;;
    SECURITY_TOKEN) variable=HUAWEICLOUD_SDK_SECURITY_TOKEN ;;
    # one job name per line in the workflow; the gate's variable takes them comma-separated
    JOBS) variable=SERVICESTAGE_JOB; value="$(printf '%s' "$value" | tr -d '\r' | tr '\n' ',')" ;;
    OIDC_IDP_ID) variable=HUAWEICLOUD_SDK_IDP_ID ;;
    ID_TOKEN_FILE) variable=HUAWEICLOUD_SDK_ID_TOKEN_FILE ;;
    IAM_PASSWORD) variable=SERVICESTAGE_IAM_PASSWORD ;;
    *) variable="SERVICESTAGE_$input" ;;
  esac
  export "$variable=$value"
done

exec "$GATE_BIN"

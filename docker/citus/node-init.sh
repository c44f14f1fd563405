#!/bin/bash
# Runs once, when a Citus node of docker-compose.yml's "citus" profile first starts (as
# /docker-entrypoint-initdb.d/010-rapport.sh). Every node: the `rapport` database with the citus
# extension. The workers are added and the `rapport` role made afterwards, on the coordinator,
# by the citus-setup service (scripts/citus-setup), so that Citus propagates the role.
#
# pg_hba.conf: Citus opens its connections to workers as the current role, and a tenant's
# role (a member of rapport_tenants, no password) is the current role of every tenant query.
# This development cluster trusts its own network for Citus's roles; a production cluster trusts
# only the coordinator's address, on every node (see the README's scale-out section).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE rapport"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname rapport -c "CREATE EXTENSION citus"
rules=$(mktemp)
# The login role is a member of every tenant role, so of rapport_tenants too: its own lines
# must come before the group's.
if [ "${RAPPORT_CITUS_NODE:-worker}" = coordinator ]; then
  echo "host all postgres,rapport samenet trust" >> "$rules"
  echo "host all rapport all scram-sha-256" >> "$rules"
  # Citus connects to the coordinator itself as a tenant's role (sizes, moves).
  echo "host all +rapport_tenants samehost trust" >> "$rules"
  echo "host all +rapport_tenants all reject" >> "$rules"
else
  echo "host all postgres,rapport,+rapport_tenants samenet trust" >> "$rules"
  echo "host all +rapport_tenants all reject" >> "$rules"
fi
cat "$PGDATA/pg_hba.conf" >> "$rules"
cat "$rules" > "$PGDATA/pg_hba.conf"
rm -f "$rules"

#!/usr/bin/env bash
# Writes the end-to-end run's config into DIR (azure-hipaa.yml and its BAA evidence): the template
# next to this script with __SUFFIX__ replaced. The suffix names every global resource (vault,
# registries, storage, Cosmos DB, SQL, Redis), so it must be what Azure's strictest names accept.
set -euo pipefail
suffix="$1"
dir="$2"
if ! [[ "$suffix" =~ ^[a-z0-9]{1,12}$ ]]; then echo "::error::the run's suffix '$suffix' is not 1-12 of [a-z0-9]"; exit 1; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$dir/compliance"
sed "s/__SUFFIX__/$suffix/g" "$here/azure-hipaa.e2e.yml" > "$dir/azure-hipaa.yml"
cp "$here/../../examples/compliance/azure-baa-sample.txt" "$dir/compliance/azure-baa-sample.txt"

#!/usr/bin/env bash
# The test command: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Azurite]
# Installs what the tests need when missing, runs every test project of Grainetes.sln in Release, and ends
# with exactly one line "tests: N passed, N failed, N skipped". Exits non-zero when a test failed, when the
# run broke (build error, hang) or when no test ran.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
results="$root/artifacts/test-results"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

die() { echo "test.sh: $*" >&2; exit 1; }

# Debian packages the tests need; installed only when running as root. Docker's runtime tests need the engine
# and a static busybox (the root file system of the test image and the pod sandbox's "pause" binary); without
# root they are not installed and those tests skip when no daemon answers.
apt_packages=(docker.io busybox-static)
if ((${#apt_packages[@]})); then
  missing=()
  for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
      echo "test.sh: installing ${missing[*]}" >&2
      apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
    else
      echo "test.sh: not root: not installing ${missing[*]}; tests that need them skip" >&2
    fi
  fi
fi

# Docker Engine for the Docker runtime's tests. Only a root run starts a daemon (in the background, left running
# for later runs); nothing is ever pulled: the test image is imported from a root file system made here.
docker_ready() { timeout 5 docker info >/dev/null 2>&1; }
if command -v docker >/dev/null 2>&1 && ! docker_ready; then
  if [[ $(id -u) -eq 0 ]] && command -v dockerd >/dev/null 2>&1; then
    mkdir -p "$root/artifacts"
    echo "test.sh: starting dockerd (log in artifacts/dockerd.log)" >&2
    # setsid: the daemon outlives this script and is not in its process group.
    setsid dockerd >>"$root/artifacts/dockerd.log" 2>&1 </dev/null &
    deadline=$((SECONDS + 60))
    until docker_ready; do
      ((SECONDS < deadline)) || die "dockerd did not answer within 60 s (see artifacts/dockerd.log)"
      sleep 0.5
    done
  else
    echo "test.sh: no Docker daemon answers and this run cannot start one; Docker tests skip" >&2
  fi
fi
busybox_bin=/bin/busybox
if docker_ready && ! docker image inspect grainetes/busybox:test >/dev/null 2>&1; then
  [[ -x $busybox_bin ]] || die "$busybox_bin is missing (Debian package busybox-static)"
  echo "test.sh: building image grainetes/busybox:test from $busybox_bin" >&2
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/root"
  chmod 1777 "$rootfs/tmp"
  cp "$busybox_bin" "$rootfs/bin/busybox"
  # busybox --install needs /proc/self/exe to be this busybox, so make the links by name from its applet list.
  for applet in $("$busybox_bin" --list); do
    [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' - grainetes/busybox:test >/dev/null \
    || { rm -rf "$rootfs"; die "docker import of grainetes/busybox:test failed"; }
  rm -rf "$rootfs"
fi

for tool in dotnet node npm python3; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH"
done

# Azurite, pinned by tools/azurite and azurite.json; reinstalled when missing or another version.
azurite_dir="$root/tools/azurite"
pinned="$(node -p "require(process.argv[1]).version" "$root/azurite.json")"
installed="$(node -p "try { require(process.argv[1]).version } catch { '' }" \
  "$azurite_dir/node_modules/azurite/package.json")"
if [[ ! -f "$azurite_dir/node_modules/azurite/dist/src/table/main.js" || "$installed" != "$pinned" ]]; then
  echo "test.sh: installing Azurite $pinned in tools/azurite" >&2
  if [[ -f "$azurite_dir/package-lock.json" ]]; then npm_cmd=(npm ci); else npm_cmd=(npm install); fi
  (cd "$azurite_dir" && "${npm_cmd[@]}" --no-audit --no-fund) || die "'${npm_cmd[*]}' failed in tools/azurite"
fi
export GRAINETES_AZURITE_DIR="$azurite_dir"

# End-to-end tests drive a real kubectl. Debian's kubernetes-client package is v1.20, too old: never install it.
command -v kubectl >/dev/null 2>&1 \
  || die "kubectl v1.28 or newer must be on PATH (get it from https://kubernetes.io/docs/tasks/tools/; not Debian's kubernetes-client, which is v1.20)"
kubectl_version="$(kubectl version --client -o json 2>/dev/null | python3 -c '
import json, re, sys
v = json.load(sys.stdin)["clientVersion"]
print(int(v["major"]), int(re.match(r"\d+", v["minor"]).group()))
' 2>/dev/null)" || die "cannot read the version of $(command -v kubectl)"
read -r kubectl_major kubectl_minor <<<"$kubectl_version"
if ((kubectl_major < 1 || (kubectl_major == 1 && kubectl_minor < 28))); then
  die "kubectl at $(command -v kubectl) is v$kubectl_major.$kubectl_minor; the tests need v1.28 or newer (not Debian's kubernetes-client)"
fi

rm -rf "$results"
mkdir -p "$results"

# A hung test host is killed after 5 minutes without progress instead of eating the CI job; no dump, just the
# blame sequence file naming the test that hung.
set +e
dotnet test Grainetes.sln -c Release \
  --logger trx \
  --results-directory "$results" \
  --blame-hang-timeout 5m --blame-hang-dump-type none \
  "$@"
dotnet_status=$?
set -e

# Each test project writes its own TRX; sum their results. Outcomes other than passed and skipped
# (NotExecuted) count as failed: Error, Timeout, Aborted, ...
read -r passed failed skipped < <(python3 - "$results" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
for trx in pathlib.Path(sys.argv[1]).rglob("*.trx"):
    try:
        tree = ET.parse(trx)
    except ET.ParseError:
        failed += 1  # a truncated TRX means a test host died mid-run
        continue
    for result in tree.iter(ns + "UnitTestResult"):
        outcome = result.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
PY
)

status=0
if ((dotnet_status != 0)); then
  echo "test.sh: dotnet test exited with code $dotnet_status (results in ${results#"$root"/})" >&2
  status=1
fi
if ((failed > 0)); then status=1; fi
if ((passed + failed == 0)); then
  echo "test.sh: no test ran" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"

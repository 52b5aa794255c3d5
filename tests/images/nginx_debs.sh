#!/bin/bash
# nginx_debs.sh DIR — fetches bookworm's nginx-light closure (Depends/Pre-Depends, no Recommends,
# first alternative) into DIR with apt-get download, and prints the .deb paths, dependencies
# first. Until the resolver is merged the closure is listed here. Exit 1 when unreachable.
set -u
dir=$1
pkgs=(gcc-12-base libgcc-s1 libc6 libcrypt1 libmd0 libbsd0 libzstd1 liblzma5 libbz2-1.0
    libselinux1 libacl1 libpcre2-8-0 zlib1g libssl3 libcap2 libelf1 libbpf1 libmnl0 libxtables12
    libdb5.3 libtinfo6 readline-common libreadline8 libcom-err2 libkeyutils1 libkrb5support0
    libk5crypto3 libkrb5-3 libgssapi-krb5-2 libtirpc-common libtirpc3 libcap2-bin tar dpkg
    install-info debconf iproute2 nginx-common libnginx-mod-http-echo nginx nginx-light)
mkdir -p "$dir"
missing=()
for p in "${pkgs[@]}"; do
    compgen -G "$dir/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    (cd "$dir" && timeout 300 apt-get download "${missing[@]}" >/dev/null 2>&1) || exit 1
fi
for p in "${pkgs[@]}"; do
    ls "$dir/${p}"_*.deb | sort | tail -1
done

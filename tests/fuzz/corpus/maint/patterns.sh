#!/bin/sh
set -e
USER="svc"
setup() {
	DIR="${1}"; MODE="$2"
	mkdir -p ${DIR}
	chown ${USER}:${3:-adm} "$DIR" && chmod "$MODE" "$DIR"
}
case "$1" in
configure)
	if ! getent passwd $USER >/dev/null; then
		adduser --system --group --home /var/lib/svc --no-create-home $USER >/dev/null
	fi
	setup /var/log/svc 2750
	new="$(mktemp)"
	cp -a /usr/share/svc/svc.conf "$new"
	ucf --three-way --sum-file /usr/share/svc/md5 "$new" /etc/svc.conf
	[ -e /etc/svc/key ] || ssh-keygen -q -f /etc/svc/key -N '' -t ed25519
	update-alternatives --install /usr/bin/x x /usr/bin/x-svc 50 \
		--slave /usr/share/man/man1/x.1.gz x.1.gz /usr/share/man/man1/x-svc.1.gz
	cat <<EOT >/dev/null
not a command
EOT
	;;
abort-upgrade|abort-remove) ;;
*) echo "unknown $1"; exit 1 ;;
esac

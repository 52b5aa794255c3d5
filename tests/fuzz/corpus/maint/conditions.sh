if [ "$1" = "install" ] || [ "$1" = "upgrade" ]; then
    if [ -L "$DPKG_ROOT/lib" ]; then
        if [ ! -L "${DPKG_ROOT}/lib64" ] && [ ! -d "${DPKG_ROOT}/lib64" ]; then
            mkdir -p "$DPKG_ROOT/usr/lib64"
            ln -s usr/lib64 "${DPKG_ROOT}/lib64"
        fi
    fi
fi
test ! -e /x || chown a /x
[ -z "$2" ] && echo fresh
case "$1" in
  configure) echo conf ;;
  abort-upgrade|abort-remove) echo abort ;;
  *) echo other; exit 1 ;;
esac
echo after

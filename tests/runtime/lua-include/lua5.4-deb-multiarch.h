/* lua5.4-deb-multiarch.h — what Debian's debian/rules generates for lua5.4's luaconf.h: the
 * multiarch triplet in the interpreter's search paths (the unikernel's libc is musl). */
#define DEB_HOST_MULTIARCH "x86_64-linux-musl"

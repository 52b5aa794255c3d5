/* release.h — what redis's mkreleasehdr.sh would generate (no git tree in a source package). */
#define REDIS_GIT_SHA1 "00000000"
#define REDIS_GIT_DIRTY "0"
#define REDIS_BUILD_ID "jeos"

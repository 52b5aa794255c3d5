/* unikernel/shim/include/string.h — the string functions the kernel already carries (one
 * declaration, in lib/string.h). */
#ifndef UK_SHIM_STRING_H
#define UK_SHIM_STRING_H

#include "lib/string.h"

#endif

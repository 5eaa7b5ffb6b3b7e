/* placeholder: filled in by its issue */
#include "proto/inner.h"

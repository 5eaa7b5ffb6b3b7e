/* placeholder: filled in by its issue */
#include "proto/tai64n.h"

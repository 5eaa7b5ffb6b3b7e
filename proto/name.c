/* placeholder: filled in by its issue */
#include "proto/name.h"

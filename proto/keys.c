/* placeholder: filled in by its issue */
#include "proto/keys.h"

/* placeholder: filled in by its issue */
#include "proto/mac.h"

/* placeholder: filled in by its issue */
#include "proto/noise.h"

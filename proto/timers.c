/* placeholder: filled in by its issue */
#include "proto/timers.h"

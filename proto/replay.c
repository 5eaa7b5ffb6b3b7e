/* placeholder: filled in by its issue */
#include "proto/replay.h"

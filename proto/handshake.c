/* placeholder: filled in by its issue */
#include "proto/handshake.h"
